using System.Globalization;

namespace AsyncRequests.Benchmarks.Measurement;

/// <summary>
/// CPU time and memory of processes, read from /proc. A process's CPU includes that of its children
/// that have exited (cutime/cstime), so a PostgreSQL server's figure covers backends that came and went.
/// </summary>
public static class ProcessStats
{
    // /proc reports times in USER_HZ ticks, which the Linux ABI fixes at 100 per second.
    private const double TicksPerSecond = 100;

    /// <summary>CPU-seconds used so far by a process and every live descendant, plus their reaped children.</summary>
    public static double CpuSecondsOfTree(int rootId)
    {
        var all = ReadAll();
        var inTree = new HashSet<int> { rootId };
        // Parents come before children in pid order except after pid wrap-around; iterate until stable.
        bool grew;
        do
        {
            grew = false;
            foreach (var stat in all.Values)
            {
                if (inTree.Contains(stat.ParentId) && inTree.Add(stat.Id))
                {
                    grew = true;
                }
            }
        }
        while (grew);

        return inTree.Sum(id => all.TryGetValue(id, out var stat) ? stat.CpuSeconds : 0);
    }

    /// <summary>CPU-seconds used so far by one process and its reaped children (the load generator: this process and wrk).</summary>
    public static double CpuSecondsOf(int id) => TryRead(id)?.CpuSeconds ?? 0;

    /// <summary>The ids of a process's direct children that are alive now.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parentId) =>
        [.. ReadAll().Values.Where(s => s.ParentId == parentId).Select(s => s.Id)];

    /// <summary>Peak resident set size (VmHWM) in MiB, or 0 once the process is gone.</summary>
    public static double PeakRssMiB(int id) => ReadStatusKiB(id, "VmHWM:") / 1024.0;

    /// <summary>
    /// Proportional set size in MiB: shared pages are split among the processes that map them, so the
    /// sum over a PostgreSQL server's processes counts its shared buffers once.
    /// </summary>
    public static double ProportionalSetSizeMiB(int id)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{id}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    return ParseKiB(line) / 1024.0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended while being read.
        }

        return 0;
    }

    private static long ReadStatusKiB(int id, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : ParseKiB(line);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long ParseKiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static Dictionary<int, Stat> ReadAll()
    {
        var stats = new Dictionary<int, Stat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && TryRead(id) is { } stat)
            {
                stats[id] = stat;
            }
        }

        return stats;
    }

    private static Stat? TryRead(int id)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{id}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new Stat(id, (int)Field(4), (Field(14) + Field(15) + Field(16) + Field(17)) / TicksPerSecond);
    }

    private sealed record Stat(int Id, int ParentId, double CpuSeconds);
}
