using AsyncRequests.Requests;
using AsyncRequests.Tests.Infrastructure;
using AsyncRequests.Tests.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AsyncRequests.Tests.Retention;

/// <summary>In the metrics collection, which runs alone, so the purge counter counts only this test.</summary>
[Collection(typeof(MetricsCollection))]
public sealed class RetentionBatchTests(TestServers servers)
{
    private static readonly Dictionary<string, string?> s_retentionOff = new()
    {
        ["Retention:SucceededAfterDays"] = "0",
        ["Retention:FailedAfterDays"] = "0",
        ["Retention:CancelledAfterDays"] = "0",
    };

    [Fact]
    public async Task Two_instances_purge_a_large_backlog_in_batches_each_row_once_and_keep_what_is_not_due()
    {
        using var purged = new MetricCollector<long>(RequestTelemetry.Purged);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: s_retentionOff);
        var now = DateTimeOffset.UtcNow;
        await SeedAsync(pipeline, 2_500, RequestStatus.Succeeded, completedAt: now.AddDays(-10));
        await SeedAsync(pipeline, 20, RequestStatus.Succeeded, completedAt: now.AddDays(-1));
        await SeedAsync(pipeline, 30, RequestStatus.Failed, completedAt: now.AddDays(-40));

        // Failed requests are kept forever here (0): old as they are, none may go.
        var retention = new Dictionary<string, string?>
        {
            ["Retention:FailedAfterDays"] = "0",
            ["Retention:BatchSize"] = "1000",
            ["Retention:BatchPauseMilliseconds"] = "10",
        };
        await using var first = PurgingApi.Start(pipeline, TimeProvider.System, retention);
        await using var second = PurgingApi.Start(pipeline, TimeProvider.System, retention);
        await first.WaitUntilAsync(p => p.Passes.Count >= 1);
        await second.WaitUntilAsync(p => p.Passes.Count >= 1);

        Assert.Equal(new Purged(2_500, 0, 0), new Purged(first.Total.Succeeded + second.Total.Succeeded, first.Total.Failed + second.Total.Failed, 0));
        var measurements = purged.GetMeasurementSnapshot();
        Assert.Equal(2_500, measurements.Sum(m => m.Value));
        Assert.All(measurements, m => Assert.InRange(m.Value, 1, 1000));
        Assert.All(measurements, m => Assert.Equal("succeeded", m.Tags[RequestTelemetry.Tags.Status]));
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(20, await db.Requests.CountAsync(r => r.Status == RequestStatus.Succeeded, TestContext.Current.CancellationToken));
        Assert.Equal(30, await db.Requests.CountAsync(r => r.Status == RequestStatus.Failed, TestContext.Current.CancellationToken));
        Assert.Equal(2 * 50, await db.StatusChanges.CountAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Terminal requests completed at <paramref name="completedAt"/>, with two history entries each.</summary>
    private static async Task SeedAsync(Infrastructure.Pipeline pipeline, int count, RequestStatus status, DateTimeOffset completedAt)
    {
        await using var db = pipeline.CreateDbContext();
        var statusName = status.ToWireName();
        var createdAt = completedAt.AddMinutes(-1);
        await db.Database.ExecuteSqlAsync(
            $"""
            WITH seeded AS (
                INSERT INTO requests (id, type, input, status, progress_percent, attempts, created_at, updated_at, completed_at, published_at, cancel_requested)
                SELECT gen_random_uuid(), 'multiply', jsonb_build_object(), {statusName}, 100, 1, {createdAt}, {completedAt}, {completedAt}, {createdAt}, false
                FROM generate_series(1, {count})
                RETURNING id)
            INSERT INTO status_changes (request_id, status, at, attempt)
            SELECT id, change.status, {completedAt}, 1 FROM seeded CROSS JOIN (VALUES ('pending'), ({statusName})) AS change(status)
            """,
            TestContext.Current.CancellationToken);
    }
}
