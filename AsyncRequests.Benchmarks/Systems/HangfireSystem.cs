using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// The baseline: Hangfire with its PostgreSQL storage in one process, on its own database. Its job and
/// state tables are the record: a job's Enqueued/Processing/Succeeded states carry their timestamps.
/// </summary>
public sealed class HangfireSystem : ISystemUnderTest
{
    private const string Final = "('Succeeded', 'Failed', 'Deleted')";

    private readonly NpgsqlDataSource _database;
    private readonly string _connectionString;
    private readonly string _logDirectory;
    private AppProcess _app;
    private long _lastJobBefore;

    private HangfireSystem(AppProcess app, NpgsqlDataSource database, string connectionString, string logDirectory)
    {
        _app = app;
        _database = database;
        _connectionString = connectionString;
        _logDirectory = logDirectory;
    }

    public string Name => "Hangfire.PostgreSql";

    public Uri BaseAddress => _app.BaseAddress;

    public IReadOnlyList<NamedProcess> Processes => [new NamedProcess("Hangfire", _app.ProcessId)];

    public static async Task<HangfireSystem> StartAsync(PostgresServer postgres, string instance, string logDirectory, CancellationToken ct)
    {
        await postgres.CreateDatabaseAsync(instance, ct);
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = postgres.Port,
            Username = PostgresServer.Superuser,
            Database = instance,
        }.ConnectionString;
        var app = await StartAppAsync(connectionString, workers: true, logDirectory, ct);
        return new HangfireSystem(app, NpgsqlDataSource.Create(connectionString), connectionString, logDirectory);
    }

    public async Task BeginScenarioAsync(CancellationToken ct)
    {
        await using var command = _database.CreateCommand("SELECT coalesce(max(id), 0) FROM hangfire.job");
        _lastJobBefore = (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public Task<long> CountStoredAsync(CancellationToken ct) => ScalarAsync<long>(
        "SELECT count(*) FROM hangfire.job WHERE id > $1", ct);

    public Task<long> CountUnfinishedAsync(CancellationToken ct) => ScalarAsync<long>(
        $"SELECT count(*) FROM hangfire.job WHERE id > $1 AND coalesce(statename, '') NOT IN {Final}", ct);

    public Task<Outcomes> ReadOutcomesAsync(CancellationToken ct) => Queries.OutcomesAsync(
        _database,
        """
        SELECT count(*),
               count(*) FILTER (WHERE statename = 'Succeeded' AND succeeded = 1),
               count(*) FILTER (WHERE succeeded > 1),
               count(*) FILTER (WHERE statename IS DISTINCT FROM 'Succeeded'),
               count(*) FILTER (WHERE processing > 1)
        FROM (SELECT j.statename,
                     count(*) FILTER (WHERE s.name = 'Succeeded') AS succeeded,
                     count(*) FILTER (WHERE s.name = 'Processing') AS processing
              FROM hangfire.job j LEFT JOIN hangfire.state s ON s.jobid = j.id
              WHERE j.id > $1
              GROUP BY j.id, j.statename) AS per_job
        """,
        _lastJobBefore,
        ct);

    public Task<IReadOnlyList<(double StartMs, double DoneMs)>> ReadLatenciesAsync(CancellationToken ct) => Queries.LatenciesAsync(
        _database,
        """
        SELECT extract(epoch FROM started.createdat - j.createdat)::float8 * 1000,
               extract(epoch FROM done.createdat - j.createdat)::float8 * 1000
        FROM hangfire.job j
        JOIN hangfire.state started ON started.jobid = j.id AND started.name = 'Processing'
        JOIN hangfire.state done ON done.jobid = j.id AND done.name = 'Succeeded'
        WHERE j.id > $1
        """,
        _lastJobBefore,
        ct);

    public Task<double> ReadCompletionSpanSecondsAsync(CancellationToken ct) => ScalarAsync<double>(
        """
        SELECT coalesce(extract(epoch FROM max(done.createdat) - min(j.createdat))::float8, 0)
        FROM hangfire.job j JOIN hangfire.state done ON done.jobid = j.id AND done.name = 'Succeeded'
        WHERE j.id > $1
        """,
        ct);

    public Task<(DateTimeOffset First, DateTimeOffset Last)> ReadCompletionTimesAsync(CancellationToken ct) => Queries.TimesAsync(
        _database,
        """
        SELECT extract(epoch FROM min(done.createdat))::float8, extract(epoch FROM max(done.createdat))::float8
        FROM hangfire.job j JOIN hangfire.state done ON done.jobid = j.id AND done.name = 'Succeeded'
        WHERE j.id > $1
        """,
        _lastJobBefore,
        ct);

    // Hangfire's workers run inside the app: it is restarted on the same database, with or without them.
    public Task StopWorkersAsync(CancellationToken ct) => RestartAsync(workers: false, ct);

    public Task StartWorkersAsync(CancellationToken ct) => RestartAsync(workers: true, ct);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static Task<AppProcess> StartAppAsync(string connectionString, bool workers, string logDirectory, CancellationToken ct) =>
        AppProcess.StartAsync(
            "AsyncRequests.Benchmarks.Hangfire",
            new Dictionary<string, string>
            {
                ["ConnectionStrings__hangfiredb"] = connectionString,
                ["Workers__Enabled"] = workers ? "true" : "false",
            },
            logDirectory,
            "/alive",
            ct);

    private async Task RestartAsync(bool workers, CancellationToken ct)
    {
        await _app.DisposeAsync();
        _app = await StartAppAsync(_connectionString, workers, _logDirectory, ct);
    }

    private Task<T> ScalarAsync<T>(string sql, CancellationToken ct) => Queries.ScalarAsync<T>(_database, sql, _lastJobBefore, ct);
}
