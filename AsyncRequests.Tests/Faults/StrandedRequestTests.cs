using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Faults;

public sealed class StrandedRequestTests(TestServers servers)
{
    [Fact]
    public async Task A_pending_request_whose_message_was_lost_is_sent_again_and_succeeds_once()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = "2",
            ["Outbox:StrandedAfterSeconds"] = "3",
            ["Outbox:StrandedCheckIntervalSeconds"] = "1",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 5 });

        // Once sent (by the submit, or by the relay if the submit's send timed out), the message is
        // lost while no Processor runs: the queue is purged.
        await using (var db = pipeline.CreateDbContext())
        {
            await Eventually.HoldsAsync(() => db.Requests.AnyAsync(r => r.Id == id && r.PublishedAt != null), () => "The request's message was never sent.");
        }

        var queueUrl = (await pipeline.Sqs.GetQueueUrlAsync(pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        await pipeline.Sqs.PurgeQueueAsync(queueUrl, TestContext.Current.CancellationToken);

        pipeline.StartProcessor();

        var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal("15", done.Result!.Value.GetProperty("product").GetRawText());
        Assert.Equal(1, done.Attempts);
        // Re-published once per window until a worker took it (more than once if the Processor was slow to start).
        Assert.Equal("submitted", done.History[0].Detail);
        Assert.StartsWith("re-published", done.History[1].Detail, StringComparison.Ordinal);
        Assert.All(done.History.TakeWhile(h => h.Status == RequestStatus.Pending), h => Assert.Equal(0, h.Attempt));
        Assert.Equal(
            [RequestStatus.Processing, RequestStatus.Succeeded],
            done.History.SkipWhile(h => h.Status == RequestStatus.Pending).Select(h => h.Status));
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
    }

    [Fact]
    public async Task The_api_refuses_a_stranded_age_shorter_than_a_message_may_stay_hidden()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = "60",
            ["Outbox:StrandedAfterSeconds"] = "60",
        }));

        Assert.Contains("Outbox:StrandedAfterSeconds", refused.Message, StringComparison.Ordinal);
    }
}
