using System.Globalization;

namespace AsyncRequests.AppHost.Tests.LocalMode;

/// <summary>A process seen in /proc; its start time tells it apart from a later process given the same id.</summary>
public sealed record ProcessInfo(int Id, int ParentId, long StartTicks, string CommandLine)
{
    public bool IsRunning() => ProcessTree.Read(Id) is { } now && now.StartTicks == StartTicks;

    public override string ToString() => $"{Id}: {CommandLine}";
}

/// <summary>Reads the machine's process tree from /proc (Linux).</summary>
public static class ProcessTree
{
    /// <summary>
    /// Every process started for this test process's AppHost: its descendants, and those of the orchestrator
    /// (DCP), which detaches from the AppHost and watches it instead (dcp ... --monitor {pid}).
    /// </summary>
    public static IReadOnlyList<ProcessInfo> StartedByThisProcess()
    {
        var all = ReadAll();
        var self = Environment.ProcessId;
        var roots = all.Where(p => p.ParentId == self || p.CommandLine.Contains($"--monitor {self}", StringComparison.Ordinal)).ToList();
        var found = new Dictionary<int, ProcessInfo>();
        var pending = new Queue<ProcessInfo>(roots);
        while (pending.TryDequeue(out var process))
        {
            if (found.TryAdd(process.Id, process))
            {
                foreach (var child in all.Where(p => p.ParentId == process.Id))
                {
                    pending.Enqueue(child);
                }
            }
        }

        return [.. found.Values];
    }

    public static ProcessInfo? Read(int id)
    {
        try
        {
            // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
            var stat = File.ReadAllText($"/proc/{id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var commandLine = File.ReadAllText($"/proc/{id}/cmdline").Replace('\0', ' ').Trim();
            return new ProcessInfo(
                id,
                int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[19], CultureInfo.InvariantCulture),
                commandLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // Exited meanwhile.
        }
    }

    private static List<ProcessInfo> ReadAll() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => Read(int.Parse(name!, CultureInfo.InvariantCulture)))
            .OfType<ProcessInfo>()];
}
