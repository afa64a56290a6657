using AsyncRequests.Processor;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

/// <summary>One claim statement serves a whole received batch; each request in it must still get its own answer.</summary>
public sealed class ClaimBatchTests(TestServers servers)
{
    [Fact]
    public async Task A_batch_with_a_duplicate_and_finished_held_exhausted_and_unknown_requests_claims_only_the_free_one_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var free = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });
        var finished = await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 4 });
        var held = await pipeline.SubmitAsync("multiply", new { num1 = 5, num2 = 6 });
        var exhausted = await pipeline.SubmitAsync("multiply", new { num1 = 7, num2 = 8 });
        var unknown = Guid.CreateVersion7();
        await using (var db = pipeline.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync($"UPDATE requests SET status = 'succeeded', attempts = 1 WHERE id = {finished}", ct);
            await db.Database.ExecuteSqlAsync(
                $"UPDATE requests SET status = 'processing', attempts = 1, lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '1 minute' WHERE id = {held}", ct);
            await db.Database.ExecuteSqlAsync(
                $"UPDATE requests SET status = 'processing', attempts = 3, lease_owner = gen_random_uuid(), lease_expires_at = now() - interval '1 minute' WHERE id = {exhausted}", ct);
        }

        await using var dataSource = NpgsqlDataSource.Create(pipeline.Settings["ConnectionStrings:requestsdb"]!);
        var leases = new RequestLeases(dataSource, TimeProvider.System, Options.Create(new QueueOptions()), Options.Create(new ProcessorOptions { MaxAttempts = 3 }));

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
}
