using Amazon.SQS;
using Amazon.SQS.Model;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>What the benchmark does to its in-memory SQS emulator between scenarios.</summary>
public sealed class SqsServerTests
{
    [Fact]
    public async Task A_restart_keeps_the_queues_with_their_attributes_but_not_their_messages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await SqsServer.StartAsync(persistent: false, logRequests: false, ct);
        using var sqs = server.CreateClient();
        var deadLetterUrl = (await sqs.CreateQueueAsync("restart-dlq", ct)).QueueUrl;
        var deadLetterArn = (await sqs.GetQueueAttributesAsync(deadLetterUrl, [QueueAttributeName.QueueArn], ct)).QueueARN;
        var redrivePolicy = $$"""{"deadLetterTargetArn":"{{deadLetterArn}}","maxReceiveCount":"4"}""";
        var queueUrl = (await sqs.CreateQueueAsync(
            new CreateQueueRequest
            {
                QueueName = "restart",
                Attributes = new() { [QueueAttributeName.RedrivePolicy] = redrivePolicy, [QueueAttributeName.VisibilityTimeout] = "45" },
            },
            ct)).QueueUrl;
        await sqs.SendMessageAsync(queueUrl, "before the restart", ct);

        await server.RestartAsync(ct);

        var attributes = (await sqs.GetQueueAttributesAsync(queueUrl, ["All"], ct)).Attributes;
        Assert.Equal("45", attributes[QueueAttributeName.VisibilityTimeout]);
        Assert.Contains(deadLetterArn, attributes[QueueAttributeName.RedrivePolicy], StringComparison.Ordinal);
        Assert.Equal("0", attributes[QueueAttributeName.ApproximateNumberOfMessages]);
        Assert.Equal(deadLetterUrl, (await sqs.GetQueueUrlAsync("restart-dlq", ct)).QueueUrl);
    }

    [Fact]
    public async Task A_paused_server_answers_nothing_until_it_is_resumed_and_keeps_its_messages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await SqsServer.StartAsync(persistent: false, logRequests: false, ct);
        using var sqs = server.CreateClient();
        var queueUrl = (await sqs.CreateQueueAsync("pause", ct)).QueueUrl;
        await sqs.SendMessageAsync(queueUrl, "before the pause", ct);

        await server.PauseAsync(ct);
        try
        {
            using var unanswered = CancellationTokenSource.CreateLinkedTokenSource(ct);
            unanswered.CancelAfter(TimeSpan.FromSeconds(2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sqs.GetQueueUrlAsync("pause", unanswered.Token));
        }
        finally
        {
            await server.ResumeAsync(ct);
        }

        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 5 }, ct);
        Assert.Equal("before the pause", Assert.Single(received.Messages).Body);
    }
}
