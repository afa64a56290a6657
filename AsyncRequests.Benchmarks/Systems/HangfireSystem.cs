using AsyncRequests.Benchmarks.Measurement;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// The baseline: Hangfire with its PostgreSQL storage in one process (N when asked: Hangfire servers share their
/// storage, each taking jobs from it), on its own database. Its job and state tables are the record: a job's
/// Enqueued/Processing/Succeeded states carry their timestamps.
/// </summary>
public sealed class HangfireSystem : ISystemUnderTest
{
    private const string Final = "('Succeeded', 'Failed', 'Deleted')";

    private readonly NpgsqlDataSource _database;
    private readonly string _connectionString;
    private readonly string _logDirectory;
    private IReadOnlyList<AppProcess> _apps;
    private long _lastJobBefore;

    private HangfireSystem(IReadOnlyList<AppProcess> apps, NpgsqlDataSource database, string connectionString, string logDirectory)
    {
        _apps = apps;
        _database = database;
        _connectionString = connectionString;
        _logDirectory = logDirectory;
    }

    public string Name => "Hangfire.PostgreSql";

    public Uri BaseAddress => _apps[0].BaseAddress;

    public IReadOnlyList<Uri> BaseAddresses => [.. _apps.Select(a => a.BaseAddress)];

    public IReadOnlyList<NamedProcess> Processes =>
        [.. _apps.Select((app, i) => new NamedProcess(NamedProcess.NameOf("Hangfire", i, _apps.Count), app.ProcessId))];

    public static async Task<HangfireSystem> StartAsync(
        PostgresServer postgres, string instance, int instances, string logDirectory, CancellationToken ct)
    {
        await postgres.CreateDatabaseAsync(instance, ct);
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = postgres.Port,
            Username = PostgresServer.Superuser,
            Database = instance,
        }.ConnectionString;
        // The first creates Hangfire's schema; the others start on it.
        var first = await StartAppAsync(connectionString, workers: true, logDirectory, ct);
        IReadOnlyList<AppProcess> others;
        try
        {
            others = await AppProcess.StartManyAsync(instances - 1, () => StartAppAsync(connectionString, workers: true, logDirectory, ct));
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }

        return new HangfireSystem(
            [first, .. others], NpgsqlDataSource.Create(PostgresStatements.Untracked(connectionString)), connectionString, logDirectory);
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

    // Hangfire's workers run inside the app: every app is restarted on the same database, with or without them.
    public Task StopWorkersAsync(CancellationToken ct) => RestartAsync(workers: false, ct);

    public Task StartWorkersAsync(CancellationToken ct) => RestartAsync(workers: true, ct);

    public async ValueTask DisposeAsync()
    {
        await AppProcess.DisposeAllAsync(_apps);
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
        var count = _apps.Count;
        await AppProcess.DisposeAllAsync(_apps);
        _apps = [];
        _apps = await AppProcess.StartManyAsync(count, () => StartAppAsync(_connectionString, workers, _logDirectory, ct));
    }

    private Task<T> ScalarAsync<T>(string sql, CancellationToken ct) => Queries.ScalarAsync<T>(_database, sql, _lastJobBefore, ct);
}
