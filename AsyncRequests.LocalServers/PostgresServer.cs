using System.Globalization;
using Npgsql;

namespace AsyncRequests.LocalServers;

/// <summary>
/// A throwaway PostgreSQL server on 127.0.0.1, run from the machine's binaries on a fresh data
/// directory that is deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Superuser = PostgresBinaries.Superuser;
    private const int StartTimeoutSeconds = 60;

    private readonly string _binDirectory;
    private readonly string _root;

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
        var binDirectory = PostgresBinaries.Find();
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
        await PostgresBinaries.PrepareDirectoryAsync(_root, ct);

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
        var (fileName, commandArguments) = PostgresBinaries.Command(Path.Combine(_binDirectory, tool), arguments);
        return ChildProcess.RunAsync(fileName, commandArguments, _root, ct);
    }
}
