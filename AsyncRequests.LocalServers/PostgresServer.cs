using System.Globalization;
using Npgsql;

namespace AsyncRequests.LocalServers;

/// <summary>
/// A throwaway PostgreSQL server on 127.0.0.1, run from the machine's binaries on a fresh data
/// directory that is deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Superuser = "postgres";
    private const int StartTimeoutSeconds = 60;

    private readonly string _binDirectory;
    private readonly string _root;

    // PostgreSQL refuses to run as root, so as root every tool runs as the postgres system user.
    private readonly bool _runAsPostgresUser = Environment.UserName == "root";

    private PostgresServer(string binDirectory, string root, int port)
    {
        _binDirectory = binDirectory;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The folder of the server binaries, which also holds client tools such as pgbench.</summary>
    public string BinDirectory => _binDirectory;

    private string DataDirectory => Path.Combine(_root, "data");

    private string LogPath => Path.Combine(_root, "server.log");

    /// <summary>Creates a new cluster and starts it; returns once it accepts connections.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var binDirectory = FindBinaries();
        var root = Directory.CreateTempSubdirectory("asyncrequests-pg-").FullName;
        var server = new PostgresServer(binDirectory, root, FreePort.Next());
        try
        {
            await server.InitializeAsync(ct);
            await server.LaunchAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The postmaster's process id; every backend is its child.</summary>
    public int ReadServerProcessId() =>
        int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary>Stops the server (fast shutdown: open sessions are cut), keeping its data.</summary>
    public Task StopAsync(CancellationToken ct = default) =>
        RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w"], ct);

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public Task StartAgainAsync(CancellationToken ct = default) => LaunchAsync(ct);

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
        // Small pools let many per-test databases share max_connections; idle ones close soon after a test.
        MaxPoolSize = 20,
        ConnectionIdleLifetime = 10,
        IncludeErrorDetail = true,
    }.ConnectionString;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        // Unpooled, so no admin connection outlives this call into a stop or restart.
        var admin = new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", connection);
        await command.ExecuteNonQueryAsync(ct);
        return ConnectionStringFor(name);
    }

    /// <summary>Stops the server at once and deletes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w"], CancellationToken.None);
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        if (_runAsPostgresUser)
        {
            await ChildProcess.RunAsync("chown", ["-R", $"{Superuser}:", _root], _root, ct);
        }

        await RunToolAsync(
            "initdb",
            ["-D", DataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            ct);

        // Durability is irrelevant to tests; speed and room for many connection pools are not.
        await File.AppendAllTextAsync(
            Path.Combine(DataDirectory, "postgresql.conf"),
            $"""

            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{_root.Replace("'", "''")}'
            max_connections = 200
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            """,
            ct);
    }

    // pg_ctl -w returns once the server accepts connections, or fails after the timeout. Without -l
    // the server would inherit pg_ctl's output pipes and keep them open.
    private async Task LaunchAsync(CancellationToken ct)
    {
        try
        {
            await RunToolAsync(
                "pg_ctl",
                ["start", "-D", DataDirectory, "-l", LogPath, "-w", "-t", StartTimeoutSeconds.ToString(CultureInfo.InvariantCulture)],
                ct);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(
                $"PostgreSQL did not start on port {Port}. {e.Message}\nServer log:\n{ChildProcess.Tail(LogPath)}", e);
        }
    }

    private Task<string> RunToolAsync(string tool, string[] arguments, CancellationToken ct)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _runAsPostgresUser
            ? ChildProcess.RunAsync("runuser", ["-u", Superuser, "--", path, .. arguments], _root, ct)
            : ChildProcess.RunAsync(path, arguments, _root, ct);
    }

    private static string FindBinaries()
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
