using System.Globalization;

namespace AsyncRequests.LocalServers;

/// <summary>
/// Where the machine's PostgreSQL server binaries are, and how to run them: PostgreSQL refuses to run as
/// root, so as root every tool runs as the postgres system user.
/// </summary>
public static class PostgresBinaries
{
    public const string Superuser = "postgres";

    /// <summary>True when this process is root, so the tools must run as the postgres system user.</summary>
    public static bool RunAsServerUser { get; } = Environment.UserName == "root";

    /// <summary>
    /// The command that runs <paramref name="path"/> as the server's user. setpriv changes user and then
    /// execs, so the process is the tool itself and signals sent to it reach it (runuser would fork).
    /// </summary>
    public static (string FileName, string[] Arguments) Command(string path, params string[] arguments) =>
        RunAsServerUser
            ? ("setpriv", ["--reuid", Superuser, "--regid", Superuser, "--init-groups", "--", path, .. arguments])
            : (path, arguments);

    /// <summary>
    /// Creates <paramref name="directory"/> if needed and makes the server's user its owner. Every folder
    /// above it must be searchable by that user: initdb fails in a 0700 folder owned by root.
    /// </summary>
    public static async Task PrepareDirectoryAsync(string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        if (!RunAsServerUser)
        {
            return;
        }

        for (var parent = Directory.GetParent(directory); parent is not null; parent = parent.Parent)
        {
            if ((parent.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new InvalidOperationException(
                    $"The {Superuser} user cannot reach {directory}: {parent.FullName} is closed to other users. "
                    + "Choose a folder below one that is open to them (mode 755).");
            }
        }

        await ChildProcess.RunAsync("chown", ["-R", $"{Superuser}:", directory], directory, ct);
    }

    /// <summary>The home of the server's user, when this machine has one (Debian: /var/lib/postgresql).</summary>
    public static string? ServerUserHome() =>
        File.Exists("/etc/passwd")
            ? File.ReadLines("/etc/passwd")
                .Select(line => line.Split(':'))
                .FirstOrDefault(fields => fields.Length > 5 && fields[0] == Superuser)?[5]
            : null;

    /// <summary>The folder holding initdb, pg_ctl and postgres.</summary>
    public static string Find()
    {
        var configured = Environment.GetEnvironmentVariable("POSTGRES_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return HasServerTools(configured)
                ? configured
                : throw new InvalidOperationException($"POSTGRES_BIN ({configured}) does not hold initdb and pg_ctl.");
        }

        var onPath = Path.GetDirectoryName(ChildProcess.FindOnPath("pg_ctl"));
        if (onPath is not null && HasServerTools(onPath))
        {
            return onPath;
        }

        // Debian and Ubuntu keep the server binaries off PATH, one folder per major version.
        const string debianRoot = "/usr/lib/postgresql";
        var installed = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Where(version => HasServerTools(Path.Combine(version, "bin")))
                .MaxBy(version => double.TryParse(Path.GetFileName(version), CultureInfo.InvariantCulture, out var number) ? number : 0)
            : null;
        return installed is not null
            ? Path.Combine(installed, "bin")
            : throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) not found. Install the PostgreSQL server "
                + "(apt-get install postgresql) or set POSTGRES_BIN to the folder holding them.");
    }

    private static bool HasServerTools(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));
}
