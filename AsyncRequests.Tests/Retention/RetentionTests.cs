using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.Retention;

public sealed class RetentionTests(TestServers servers)
{
    [Fact]
    public async Task The_purge_deletes_exactly_the_terminal_requests_past_their_age_and_frees_their_idempotency_keys()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var succeeded = await SubmitAsync(pipeline, new { type = "multiply", input = new { num1 = 3, num2 = 4 } }, "kept-for-a-week");
        var failed = await pipeline.SubmitAsync("fail", new { mode = "permanent" });
        var cancelled = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1, delayMs = 60_000 });
        var running = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1, delayMs = 60_000 });
        await pipeline.WaitUntilAsync(cancelled, d => d.Status == RequestStatus.Processing);
        (await pipeline.Client.PostAsync($"/requests/{cancelled}/cancel", null, TestContext.Current.CancellationToken)).Dispose();
        foreach (var id in new[] { succeeded, failed, cancelled })
        {
            await pipeline.WaitForTerminalAsync(id);
        }

        await pipeline.WaitUntilAsync(running, d => d.Status == RequestStatus.Processing);

        // A second Api instance whose clock is eight days ahead: past the succeeded and cancelled age (7), not the failed one (30).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(8));
        await using var purging = PurgingApi.Start(pipeline, clock);

        await purging.WaitUntilAsync(p => p.Passes.Count == 1);
        Assert.Equal(new Purged(1, 0, 1), purging.Total);
        Assert.Equal([failed, running], await RemainingAsync(pipeline, succeeded, failed, cancelled, running));

        clock.Advance(TimeSpan.FromDays(23));
        await purging.WaitUntilAsync(p => p.Total.Failed == 1);
        Assert.Equal(new Purged(1, 1, 1), purging.Total);
        Assert.Equal([running], await RemainingAsync(pipeline, succeeded, failed, cancelled, running));

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal([running], await db.StatusChanges.Select(c => c.RequestId).Distinct().ToListAsync(TestContext.Current.CancellationToken));
        }

        using var gone = await pipeline.Client.GetAsync($"/requests/{succeeded}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var resubmitted = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 3, num2 = 4 } }, "kept-for-a-week");
        Assert.Equal(HttpStatusCode.Accepted, resubmitted.StatusCode);
        Assert.False(resubmitted.Headers.Contains("Idempotent-Replayed"));
        var fresh = await resubmitted.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.NotEqual(succeeded, fresh!.Id);
    }

    [Fact]
    public async Task A_request_whose_webhook_is_still_pending_is_kept_until_the_delivery_ends()
    {
        var port = FreePort.Next();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var hooked = await SubmitAsync(pipeline, new { type = "multiply", input = new { num1 = 3, num2 = 4 }, callbackUrl = $"http://127.0.0.1:{port}/late" }, "hooked");
        var plain = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 });
        await pipeline.WaitForTerminalAsync(plain);
        await pipeline.WaitUntilAsync(hooked, d => d.Webhook is { State: WebhookState.Pending, Attempts: >= 1 });

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(8));
        await using var purging = PurgingApi.Start(pipeline, clock);
        await purging.WaitUntilAsync(p => p.Passes.Count == 1);
        Assert.Equal(new Purged(1, 0, 0), purging.Total);
        Assert.Equal([hooked], await RemainingAsync(pipeline, hooked, plain));

        // The receiver comes up, the delivery ends, and the next pass purges the request with it.
        await using var receiver = await CallbackReceiver.StartAsync(port);
        await pipeline.WaitUntilAsync(hooked, d => d.Webhook?.State == WebhookState.Delivered, TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromHours(1));
        await purging.WaitUntilAsync(p => p.Passes.Count == 2);
        Assert.Equal(new Purged(2, 0, 0), purging.Total);
        Assert.Empty(await RemainingAsync(pipeline, hooked, plain));
    }

    private static async Task<Guid> SubmitAsync(Infrastructure.Pipeline pipeline, object body, string idempotencyKey)
    {
        using var response = await pipeline.PostAsync(body, idempotencyKey);
        var accepted = await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        return accepted!.Id;
    }

    private static async Task<List<Guid>> RemainingAsync(Infrastructure.Pipeline pipeline, params Guid[] ids)
    {
        await using var db = pipeline.CreateDbContext();
        var remaining = await db.Requests.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(TestContext.Current.CancellationToken);
        return [.. ids.Where(remaining.Contains)];
    }
}
