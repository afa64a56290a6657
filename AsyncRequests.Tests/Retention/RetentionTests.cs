using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Api.Requests;
using AsyncRequests.Api.Retention;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
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
        await using var purging = StartPurgingApi(pipeline, clock, out var logs);

        await WaitForPassesAsync(logs, 1);
        Assert.Equal(new Purged(1, 0, 1), Total(logs));
        Assert.Equal([failed, running], await RemainingAsync(pipeline, succeeded, failed, cancelled, running));

        clock.Advance(TimeSpan.FromDays(23));
        await WaitUntilAsync(logs, () => Total(logs).Failed == 1);
        Assert.Equal(new Purged(1, 1, 1), Total(logs));
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

    private static ServiceHost<RequestSubmitter> StartPurgingApi(Infrastructure.Pipeline pipeline, TimeProvider clock, out FakeLogCollector logs)
    {
        var settings = new Dictionary<string, string?>(pipeline.Settings)
        {
            ["Retention:IntervalSeconds"] = "3600",
            [$"Logging:LogLevel:{typeof(RetentionPurge).FullName}"] = "Information",
        };
        var host = ServiceHost<RequestSubmitter>.Start(
            settings,
            services =>
            {
                services.AddSingleton(clock);
                services.AddFakeLogging();
            },
            overHttp: false);
        logs = host.Services.GetFakeLogCollector();
        return host;
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

    internal static Task WaitForPassesAsync(FakeLogCollector logs, int passes) =>
        WaitUntilAsync(logs, () => Passes(logs).Count >= passes);

    internal static Purged Total(FakeLogCollector logs) =>
        Passes(logs).Aggregate(new Purged(0, 0, 0), (sum, pass) => new Purged(sum.Succeeded + pass.Succeeded, sum.Failed + pass.Failed, sum.Cancelled + pass.Cancelled));

    private static List<Purged> Passes(FakeLogCollector logs) =>
        [.. logs.GetSnapshot()
            .Where(r => r.Category == typeof(RetentionPurge).FullName && r.Message.StartsWith("Retention pass purged", StringComparison.Ordinal))
            .Select(r => new Purged(Count(r, "Succeeded"), Count(r, "Failed"), Count(r, "Cancelled")))];

    private static long Count(FakeLogRecord record, string name) =>
        long.Parse(record.StructuredState!.Single(s => s.Key == name).Value!, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitUntilAsync(FakeLogCollector logs, Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, $"The purge did not get there in time; it logged: {string.Join(" | ", logs.GetSnapshot().Select(r => r.Message))}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    internal sealed record Purged(long Succeeded, long Failed, long Cancelled);
}
