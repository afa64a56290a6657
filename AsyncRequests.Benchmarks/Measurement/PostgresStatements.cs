using System.Text.RegularExpressions;
using AsyncRequests.Benchmarks.Reporting;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks.Measurement;

/// <summary>
/// What PostgreSQL does for a scenario besides using CPU: the WAL it writes (the server's WAL position, so every
/// database and autovacuum count) and, when the server has <c>pg_stat_statements</c>, the statements run in one
/// system's database, each execution once, transaction control and <c>DISCARD ALL</c> included.
/// </summary>
public static partial class PostgresStatements
{
    private const string Extension = "pg_stat_statements";
    private const int MostRunCount = 10;
    private const int QueryLength = 120;

    private static readonly TimeSpan SettingPollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SettingTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Loads <c>pg_stat_statements</c> into the server (a restart: run it before anything else connects) if the
    /// server's binaries have it, with tracking off (see <see cref="TrackAsync"/>); false when they do not, and
    /// statements are then not counted.
    /// </summary>
    public static async Task<bool> EnableAsync(PostgresServer postgres, CancellationToken ct)
    {
        await using (var connection = await OpenAsync(postgres, ct))
        {
            if (!await ScalarAsync<bool>(connection, $"SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = '{Extension}')", ct))
            {
                return false;
            }

            if (!(await ScalarAsync<string>(connection, "SHOW shared_preload_libraries", ct)).Contains(Extension, StringComparison.Ordinal))
            {
                await ExecuteAsync(connection, $"ALTER SYSTEM SET shared_preload_libraries = '{Extension}'", ct);
                await connection.CloseAsync();
                await postgres.StopAsync(ct);
                await postgres.StartAgainAsync(ct);
            }
        }

        await using (var connection = await OpenAsync(postgres, ct))
        {
            await ExecuteAsync(connection, $"CREATE EXTENSION IF NOT EXISTS {Extension}", ct);
        }

        await TrackAsync(postgres, on: false, ct);
        return true;
    }

    /// <summary>
    /// Switches the tracking of top-level statements on or off for every session of the server, open ones included.
    /// Tracking may cost PostgreSQL CPU on every statement, so it is on only while statements are counted. Query ids are
    /// computed either way: a statement prepared without one is never tracked, however often it runs.
    /// </summary>
    public static async Task TrackAsync(PostgresServer postgres, bool on, CancellationToken ct)
    {
        var track = on ? "top" : "none";
        await using (var connection = await OpenAsync(postgres, ct))
        {
            await ExecuteAsync(connection, $"ALTER SYSTEM SET {Extension}.track = '{track}'", ct);
            await ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
        }

        // The server signals its sessions once it has read the file again, and a new session sees the new value only
        // after that; each open session applies it before the next statement it receives.
        var deadline = DateTime.UtcNow + SettingTimeout;
        while (true)
        {
            await using var connection = await OpenAsync(postgres, ct);
            if (await ScalarAsync<string>(connection, $"SHOW {Extension}.track", ct) == track)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"PostgreSQL did not apply {Extension}.track = {track} within {SettingTimeout.TotalSeconds} s.");
            }

            await Task.Delay(SettingPollInterval, ct);
        }
    }

    /// <summary>
    /// The connection string for the benchmark's own reads of a system's tables: its sessions switch tracking off, so
    /// the statements counted are the system's alone. (Without the extension the setting is an unused placeholder.)
    /// </summary>
    public static string Untracked(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Options = $"-c {Extension}.track=none" }.ConnectionString;

    /// <summary>The server's WAL position and, when <paramref name="countStatements"/>, the statements of <paramref name="database"/> so far.</summary>
    public static async Task<Snapshot> ReadAsync(PostgresServer postgres, string database, bool countStatements, CancellationToken ct)
    {
        await using var connection = await OpenAsync(postgres, ct);
        var wal = await ScalarAsync<long>(connection, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", ct);
        if (!countStatements)
        {
            return new Snapshot(wal, null);
        }

        await using var command = new NpgsqlCommand(
            $"""
            SELECT s.queryid, sum(s.calls)::bigint, min(s.query)
            FROM {Extension} s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.queryid IS NOT NULL
            GROUP BY s.queryid
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = database });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var statements = new Dictionary<long, (long Calls, string Query)>();
        while (await reader.ReadAsync(ct))
        {
            statements[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetString(2));
        }

        return new Snapshot(wal, statements);
    }

    private static async Task<NpgsqlConnection> OpenAsync(PostgresServer postgres, CancellationToken ct)
    {
        // Unpooled: the server restarts between uses, and a pooled connection would not survive that.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor("postgres")) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>Counters at one moment; statements by query id, null when they are not counted.</summary>
    public sealed record Snapshot(long WalPosition, IReadOnlyDictionary<long, (long Calls, string Query)>? Statements)
    {
        /// <summary>Every execution counted in the database so far; null when statements are not counted.</summary>
        public long? Calls => Statements?.Values.Sum(s => s.Calls);

        /// <summary>The work done since <paramref name="before"/>, with the server's CPU over the same span.</summary>
        public PostgresWork Since(Snapshot before, double cpuSeconds)
        {
            if (Statements is null || before.Statements is null)
            {
                return new PostgresWork(cpuSeconds, WalPosition - before.WalPosition, null, []);
            }

            var calls = Statements
                .Select(s => (s.Value.Query, Calls: s.Value.Calls - (before.Statements.TryGetValue(s.Key, out var was) ? was.Calls : 0)))
                .Where(s => s.Calls > 0)
                .ToList();
            var mostRun = calls
                .OrderByDescending(s => s.Calls)
                .Take(MostRunCount)
                .Select(s => new StatementCalls(Shorten(s.Query), s.Calls))
                .ToList();
            return new PostgresWork(cpuSeconds, WalPosition - before.WalPosition, calls.Sum(s => s.Calls), mostRun);
        }

        private static string Shorten(string query)
        {
            var line = Whitespace().Replace(query, " ").Trim();
            return line.Length <= QueryLength ? line : line[..QueryLength] + "…";
        }
    }
}
