using AsyncRequests.Processor.Processing;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

/// <summary>
/// One claim statement serves a whole received batch, and claims made while a claim statement is in flight
/// share the next one: each request must still get its own answer, each caller exactly its own answers, only
/// once they are committed, and a request claimed by two callers at once runs once.
/// </summary>
public sealed class ClaimBatchTests(TestServers servers)
{
    // The sessions blocked by the given backend: the claim statement it holds back.
    private const string BlockedBySql = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))";

    [Fact]
    public async Task A_batch_with_a_duplicate_and_finished_held_exhausted_and_unknown_requests_claims_only_the_free_one_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var (free, finished, held) = await SubmitFreeFinishedAndHeldAsync(pipeline);
        var exhausted = await pipeline.SubmitAsync("multiply", new { num1 = 7, num2 = 8 });
        var unknown = Guid.CreateVersion7();
        await using (var db = pipeline.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync(
                $"UPDATE requests SET status = 'processing', attempts = 3, lease_owner = gen_random_uuid(), lease_expires_at = now() - interval '1 minute' WHERE id = {exhausted}", ct);
        }

        await using var dataSource = NpgsqlDataSource.Create(pipeline.Settings["ConnectionStrings:requestsdb"]!);
        var leases = TestLeases.Create(dataSource);

        var owner = Guid.CreateVersion7();
        Guid[] ids = [free, free, finished, held, exhausted, unknown];
        var results = await leases.ClaimAsync([.. ids.Select(id => new RequestClaim(id, owner))], ct);

        var claimed = Assert.IsType<ClaimResult.Claimed>(results[0]);
        Assert.Equal(1, claimed.Request.Attempts);
        Assert.Equal(leases.LeaseDuration, Assert.IsType<ClaimResult.HeldElsewhere>(results[1]).LeaseRemaining);
        Assert.Equal(RequestStatus.Succeeded, Assert.IsType<ClaimResult.AlreadyFinished>(results[2]).Status);
        Assert.IsType<ClaimResult.HeldElsewhere>(results[3]);
        Assert.Equal(3, Assert.IsType<ClaimResult.AttemptsExhausted>(results[4]).Attempts);
        Assert.IsType<ClaimResult.NotFound>(results[5]);

        var document = await pipeline.GetAsync(free);
        Assert.Equal(RequestStatus.Processing, document.Status);
        Assert.Single(document.History, h => h.Status == RequestStatus.Processing);
        foreach (var untouched in new[] { finished, held, exhausted })
        {
            Assert.DoesNotContain((await pipeline.GetAsync(untouched)).History, h => h.Status == RequestStatus.Processing);
        }
    }

    [Fact]
    public async Task Claims_made_while_a_claim_is_in_flight_share_one_statement_and_each_caller_gets_only_its_own_answers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var blocker = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 });
        var (free, finished, held) = await SubmitFreeFinishedAndHeldAsync(pipeline);
        var contested = await pipeline.SubmitAsync("multiply", new { num1 = 7, num2 = 8 });
        var unknown = Guid.CreateVersion7();

        await using var dataSource = NpgsqlDataSource.Create(pipeline.Settings["ConnectionStrings:requestsdb"]!);
        var leases = TestLeases.Create(dataSource);
        var claimer = new RequestClaimer(leases);

        // The blocker's row is locked, so the first claim statement stays in flight while the others are made.
        await using var locker = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await locker.BeginTransactionAsync(ct);
        await ExecuteAsync(locker, "SELECT FROM requests WHERE id = $1 FOR UPDATE", blocker);
        var first = claimer.Claim([blocker], Guid.CreateVersion7());
        await Eventually.HoldsAsync(() => IsBlockingAsync(dataSource, locker.ProcessID), () => "The first claim never reached the locked row.");

        Guid[] owners = [Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7()];
        var mixed = claimer.Claim([free, unknown], owners[0]);
        var refused = claimer.Claim([finished, held], owners[1]);
        var contestedFirst = claimer.Claim([contested], owners[2]);
        var contestedSecond = claimer.Claim([contested], owners[3]);
        await transaction.RollbackAsync(ct);

        await Task.WhenAll([.. first, .. mixed, .. refused, .. contestedFirst, .. contestedSecond]);

        // One statement (one transaction) claimed the free and the contested request, each for its own caller, the contested one once.
        await using var check = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT r.id, r.lease_owner, s.xmin::text FROM requests r JOIN status_changes s ON s.request_id = r.id AND s.status = 'processing'
            WHERE r.id = ANY($1)
            """,
            check) { Parameters = { new NpgsqlParameter { Value = new[] { blocker, free, finished, held, contested } } } };
        var claims = new List<(Guid Id, Guid Owner, string Transaction)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                claims.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
            }
        }

        Assert.Equal(new[] { blocker, free, contested }.Order(), claims.Select(c => c.Id).Order());
        Assert.Equal(owners[0], claims.Single(c => c.Id == free).Owner);
        Assert.Equal(owners[2], claims.Single(c => c.Id == contested).Owner);
        Assert.Equal(claims.Single(c => c.Id == free).Transaction, claims.Single(c => c.Id == contested).Transaction);
        Assert.NotEqual(claims.Single(c => c.Id == blocker).Transaction, claims.Single(c => c.Id == free).Transaction);

        Assert.IsType<ClaimResult.Claimed>(await Assert.Single(first));
        Assert.Equal(2, mixed.Count);
        Assert.Equal(1, Assert.IsType<ClaimResult.Claimed>(await mixed[0]).Request.Attempts);
        Assert.IsType<ClaimResult.NotFound>(await mixed[1]);
        Assert.Equal(2, refused.Count);
        Assert.Equal(RequestStatus.Succeeded, Assert.IsType<ClaimResult.AlreadyFinished>(await refused[0]).Status);
        Assert.IsType<ClaimResult.HeldElsewhere>(await refused[1]);
        Assert.IsType<ClaimResult.Claimed>(await Assert.Single(contestedFirst));
        Assert.Equal(leases.LeaseDuration, Assert.IsType<ClaimResult.HeldElsewhere>(await Assert.Single(contestedSecond)).LeaseRemaining);
    }

    [Fact]
    public async Task A_caller_gets_its_claim_only_once_the_statement_that_made_it_has_committed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var request = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });
        await using var dataSource = NpgsqlDataSource.Create(pipeline.Settings["ConnectionStrings:requestsdb"]!);
        var claimer = new RequestClaimer(TestLeases.Create(dataSource));

        // A claim's commit waits, in a deferred trigger, for an advisory lock this test holds.
        await using var gate = await dataSource.OpenConnectionAsync(ct);
        await ExecuteAsync(
            gate,
            """
            CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN PERFORM pg_advisory_xact_lock_shared(19); RETURN NULL; END';
            CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT ON status_changes DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.status = 'processing') EXECUTE FUNCTION hold_commit();
            SELECT pg_advisory_lock(19);
            """);

        var owner = Guid.CreateVersion7();
        var claim = Assert.Single(claimer.Claim([request], owner));
        var seenOnAnswer = claim.ContinueWith(_ => ReadLeaseAsync(dataSource, request), TaskScheduler.Default).Unwrap();
        await Eventually.HoldsAsync(() => IsBlockingAsync(dataSource, gate.ProcessID), () => "The claim never reached its commit.");

        Assert.False(claim.IsCompleted, "The caller got its claim while the claim's commit was still waiting.");
        Assert.Equal(("pending", (Guid?)null), await ReadLeaseAsync(dataSource, request));

        await ExecuteAsync(gate, "SELECT pg_advisory_unlock(19)");
        Assert.IsType<ClaimResult.Claimed>(await claim);
        Assert.Equal(("processing", (Guid?)owner), await seenOnAnswer);
    }

    /// <summary>Submits three requests: one left free, one finished, one held by another worker's live lease.</summary>
    private static async Task<(Guid Free, Guid Finished, Guid Held)> SubmitFreeFinishedAndHeldAsync(Infrastructure.Pipeline pipeline)
    {
        var free = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });
        var finished = await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 4 });
        var held = await pipeline.SubmitAsync("multiply", new { num1 = 5, num2 = 6 });
        await using var db = pipeline.CreateDbContext();
        await db.Database.ExecuteSqlAsync($"UPDATE requests SET status = 'succeeded', attempts = 1 WHERE id = {finished}", TestContext.Current.CancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"UPDATE requests SET status = 'processing', attempts = 1, lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '1 minute' WHERE id = {held}",
            TestContext.Current.CancellationToken);
        return (free, finished, held);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<bool> IsBlockingAsync(NpgsqlDataSource dataSource, int processId)
    {
        await using var command = dataSource.CreateCommand(BlockedBySql);
        command.Parameters.Add(new NpgsqlParameter { Value = processId });
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! > 0;
    }

    private static async Task<(string Status, Guid? Owner)> ReadLeaseAsync(NpgsqlDataSource dataSource, Guid id)
    {
        await using var command = dataSource.CreateCommand("SELECT status, lease_owner FROM requests WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1));
    }
}
