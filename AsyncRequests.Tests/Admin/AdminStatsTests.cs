using System.Net.Http.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Admin;

public sealed class AdminStatsTests(TestServers servers)
{
    [Fact]
    public async Task Stats_count_a_known_set_of_requests()
    {
        // The relay leaves the unsent row alone for an hour, so it stays in the backlog.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: AdminKeys.Settings(new() { ["Outbox:MinimumAgeSeconds"] = "3600" }));
        var now = DateTimeOffset.UtcNow;
        await using (var db = pipeline.CreateDbContext())
        {
            db.Requests.AddRange(
                Row("multiply", RequestStatus.Pending, created: now.AddHours(-1)),
                Row("multiply", RequestStatus.Pending, created: now.AddMinutes(-10), published: false),
                Row("compute", RequestStatus.Processing, created: now.AddMinutes(-5)),
                Row("multiply", RequestStatus.Succeeded, created: now.AddMinutes(-3), completed: now.AddSeconds(-10)),
                Row("compute", RequestStatus.Succeeded, created: now.AddMinutes(-3), completed: now.AddSeconds(-20)),
                Row("compute", RequestStatus.Succeeded, created: now.AddHours(-3), completed: now.AddHours(-2)),
                Row("fail", RequestStatus.Failed, created: now.AddMinutes(-2), completed: now.AddSeconds(-5)),
                Row("fail", RequestStatus.Failed, created: now.AddHours(-3), completed: now.AddHours(-2)),
                Row("text-analysis", RequestStatus.Cancelled, created: now.AddHours(-3), completed: now.AddHours(-2)));
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var stats = await pipeline.Client.AsAdmin().GetFromJsonAsync<AdminStats>("/admin/stats", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);

        Assert.Equal(new StatusCounts(Pending: 2, Processing: 1, Succeeded: 3, Failed: 2, Cancelled: 1), stats!.ByStatus);
        Assert.Equal(
            new Dictionary<string, long> { ["multiply"] = 3, ["compute"] = 3, ["transform"] = 0, ["text-analysis"] = 1, ["fail"] = 2 },
            stats.ByType);
        Assert.InRange(stats.OldestPendingAgeSeconds!.Value, 3600, 3600 + 600);
        Assert.Equal(1, stats.OutboxBacklog);
        Assert.Equal(new TerminalCounts(Succeeded: 2, Failed: 1, Cancelled: 0), stats.CompletedLastMinute);
        Assert.NotNull(stats.Queue.ApproximateMessages);
        Assert.NotNull(stats.Queue.DeadLetterApproximateMessages);
    }

    [Fact]
    public async Task Stats_report_unknown_queue_depths_while_SQS_is_unreachable()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings(new()
        {
            ["AWS:ServiceURL"] = $"http://127.0.0.1:{FreePort.Next()}",
        }));

        var stats = await pipeline.Client.AsAdmin().GetFromJsonAsync<AdminStats>("/admin/stats", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);

        Assert.Equal(new QueueDepths(null, null), stats!.Queue);
        Assert.Equal(new StatusCounts(0, 0, 0, 0, 0), stats.ByStatus);
        Assert.Null(stats.OldestPendingAgeSeconds);
    }

    private static AsyncRequest Row(string type, RequestStatus status, DateTimeOffset created, DateTimeOffset? completed = null, bool published = true) => new()
    {
        Id = Guid.CreateVersion7(created),
        Type = type,
        Input = "{}",
        Status = status,
        CreatedAt = created,
        UpdatedAt = completed ?? created,
        CompletedAt = completed,
        PublishedAt = published ? created : null,
    };
}
