using AsyncRequests.Benchmarks.Measurement;
using Npgsql;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>
/// The benchmark tracks statements only while it counts them. Switching tracking on and off must reach sessions that
/// are already open (the services' pooled connections) and statements they prepared before (the services prepare
/// their hot ones), or the measured passes around the counting pass would carry its cost, or the counting pass would
/// miss statements.
/// </summary>
public sealed class StatementTrackingTests
{
    private const string Database = "tracking";
    private const int Statements = 5;

    [Fact]
    public async Task A_statement_prepared_in_an_open_session_is_tracked_only_while_tracking_is_on()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await PostgresServer.StartAsync(ct);
        Assert.True(await PostgresStatements.EnableAsync(postgres, ct), "The server has no pg_stat_statements.");
        await postgres.CreateDatabaseAsync(Database, ct);
        await using var session = new NpgsqlConnection(postgres.ConnectionStringFor(Database));
        await session.OpenAsync(ct);
        await using var statement = new NpgsqlCommand("SELECT 1", session);
        await statement.PrepareAsync(ct);

        await RunAsync(statement, ct);
        var whileOff = await CountTrackedAsync(postgres, ct);
        await PostgresStatements.TrackAsync(postgres, on: true, ct);
        await RunAsync(statement, ct);
        var whileOn = await CountTrackedAsync(postgres, ct);
        await PostgresStatements.TrackAsync(postgres, on: false, ct);
        await RunAsync(statement, ct);
        var offAgain = await CountTrackedAsync(postgres, ct);

        Assert.Equal(0, whileOff);
        Assert.Equal(Statements, whileOn);
        Assert.Equal(Statements, offAgain);
    }

    private static async Task RunAsync(NpgsqlCommand statement, CancellationToken ct)
    {
        for (var i = 0; i < Statements; i++)
        {
            await statement.ExecuteScalarAsync(ct);
        }
    }

    private static async Task<long> CountTrackedAsync(PostgresServer postgres, CancellationToken ct) =>
        (await PostgresStatements.ReadAsync(postgres, Database, countStatements: true, ct)).Calls!.Value;
}
