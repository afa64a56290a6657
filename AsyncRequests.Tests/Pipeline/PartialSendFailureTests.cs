using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AsyncRequests.Tests.Pipeline;

public sealed class PartialSendFailureTests(TestServers servers)
{
    [Fact]
    public async Task Entries_SQS_refuses_in_a_batch_keep_their_mark_and_the_relay_sends_them_later()
    {
        var sqs = new RefusingSqsClient(servers.Sqs) { RefusedType = "transform" };
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            configureServices: services => services.AddSingleton<IAmazonSQS>(sqs));

        var submits = Enumerable.Range(1, 12)
            .Select(i => i % 3 == 0 ? pipeline.SubmitAsync("transform", new { text = $"t{i}" }) : pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2 }));
        var ids = await Task.WhenAll(submits);

        await using (var db = pipeline.CreateDbContext())
        {
            await Eventually.HoldsAsync(
                async () => await db.Requests.CountAsync(r => r.Type == "multiply" && r.PublishedAt != null) == 8,
                () => "The accepted entries' marks were not all cleared.");
            Assert.Equal(4, await db.Requests.CountAsync(r => r.Type == "transform" && r.PublishedAt == null, TestContext.Current.CancellationToken));
        }

        Assert.True(sqs.Refused >= 4);
        sqs.RefusedType = null;
        pipeline.StartProcessor();

        foreach (var id in ids)
        {
            var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Single(done.History, h => h.Status == RequestStatus.Processing);
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(0, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }
    }

    /// <summary>The real SQS client, except that SendMessageBatch refuses the entries of one request type, as SQS may refuse single entries.</summary>
    private sealed class RefusingSqsClient(SqsServer server) : AmazonSQSClient(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = server.ServiceUrl.ToString(), AuthenticationRegion = server.Region })
    {
        private int _refused;

        public volatile string? RefusedType;

        public int Refused => Volatile.Read(ref _refused);

        public override async Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            var refusedType = RefusedType;
            var refused = request.Entries.Where(e => RequestMessage.TryParse(e.MessageBody)?.Type == refusedType).ToList();
            var accepted = request.Entries.Except(refused).ToList();
            var response = accepted.Count == 0
                ? new SendMessageBatchResponse { Successful = [] }
                : await base.SendMessageBatchAsync(new SendMessageBatchRequest(request.QueueUrl, accepted), cancellationToken);
            Interlocked.Add(ref _refused, refused.Count);
            response.Failed = [.. response.Failed ?? [], .. refused.Select(e => new BatchResultErrorEntry { Id = e.Id, Code = "InternalError", Message = "refused by the test", SenderFault = false })];
            return response;
        }
    }
}
