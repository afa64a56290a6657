using AsyncRequests.Api.Outbox;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

/// <summary>
/// Statements that change several request rows lock them in id order (RequestRowLocks), so two of them that meet on
/// the same rows wait for each other instead of deadlocking, which would abort one of them and its whole batch.
/// </summary>
public sealed class RowLockOrderTests(TestServers servers)
{
    // Sessions of this database waiting for another's lock.
    private const string WaitingSql =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0";

    [Fact]
    public async Task An_outcome_and_a_mark_clearing_that_name_two_rows_in_opposite_orders_both_complete()
    {
        var ct = TestContext.Current.CancellationToken;

        // The relay must leave the two unsent rows to the statements under test.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: new Dictionary<string, string?> { ["Outbox:MinimumAgeSeconds"] = "3600" });
        await using var dataSource = NpgsqlDataSource.Create(pipeline.Settings["ConnectionStrings:requestsdb"]!);
        var now = DateTimeOffset.UtcNow;
        var (first, second) = (Guid.CreateVersion7(now), Guid.CreateVersion7(now.AddMilliseconds(1)));
        var owner = Guid.CreateVersion7();
        await SeedAsync(dataSource, first, second, owner);

        // Left to their plans, the mark clearing locks its rows in index order (first, second) and the outcome in the
        // order it is given (second, first). A third session holds the first row until both statements wait: the mark
        // clearing for the first row, the outcome for it too, after taking the second. Released, the first row goes to
        // the mark clearing, which then waits for the second: a deadlock, unless both lock in id order.
        await using var holder = await dataSource.OpenConnectionAsync(ct);
        await using var holding = await holder.BeginTransactionAsync(ct);
        await using (var hold = new NpgsqlCommand("SELECT FROM requests WHERE id = $1 FOR UPDATE", holder) { Parameters = { new() { Value = first } } })
        {
            await hold.ExecuteNonQueryAsync(ct);
        }

        var api = pipeline.StartApi();
        await using var clearingConnection = await dataSource.OpenConnectionAsync(ct);
        var clearing = api.Services.GetRequiredService<RequestPublisher>().ClearMarksAsync(clearingConnection, [first, second], ct);
        await Eventually.HoldsAsync(async () => await CountWaitingAsync(dataSource) == 1, () => "The mark clearing never waited for the held row.");

        var recording = TestLeases.Create(dataSource).RecordAsync(
            [.. new[] { second, first }.Select(id => new OutcomeRecord(id, owner, 1, RequestStatus.Succeeded, "42", null, null))], ct);
        await Eventually.HoldsAsync(async () => await CountWaitingAsync(dataSource) == 2, () => "The outcome never waited for a row.");

        await holding.CommitAsync(ct);
        await clearing;
        var recorded = await recording;
        Assert.True(recorded.SetEquals([first, second]), $"Recorded {recorded.Count} of the 2 outcomes.");

        foreach (var id in new[] { first, second })
        {
            var document = await pipeline.GetAsync(id);
            Assert.Equal(RequestStatus.Succeeded, document.Status);
        }

        await using var unsent = dataSource.CreateCommand("SELECT count(*) FROM requests WHERE published_at IS NULL");
        Assert.Equal(0L, await unsent.ExecuteScalarAsync(ct));
    }

    /// <summary>
    /// The two requests, running under <paramref name="owner"/>'s lease with their messages not yet marked sent, stored
    /// in id order; and enough finished requests that PostgreSQL plans the statements as it does on a working table.
    /// </summary>
    private static async Task SeedAsync(NpgsqlDataSource dataSource, Guid first, Guid second, Guid owner)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO requests (id, type, input, status, progress_percent, attempts, created_at, updated_at, cancel_requested, lease_owner, lease_expires_at)
            SELECT id, 'multiply', '{"num1":6,"num2":7}', 'processing', 0, 1, now(), now(), false, $2, now() + interval '1 hour'
            FROM unnest($1::uuid[]) WITH ORDINALITY AS stored(id, position) ORDER BY position
            """) { Parameters = { new() { Value = new[] { first, second } }, new() { Value = owner } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO requests (id, type, input, status, progress_percent, attempts, created_at, updated_at, completed_at, published_at, cancel_requested, result)
            SELECT gen_random_uuid(), 'multiply', '{"num1":6,"num2":7}', 'succeeded', 100, 1, now() - interval '1 hour', now(), now(), now(), false, '42'
            FROM generate_series(1, 20000)
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("ANALYZE requests"));
        await batch.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<long> CountWaitingAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(WaitingSql);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
