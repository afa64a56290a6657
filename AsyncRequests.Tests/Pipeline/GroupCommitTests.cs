using Amazon.SQS.Model;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AsyncRequests.Tests.Pipeline;

public sealed class GroupCommitTests(TestServers servers)
{
    [Fact]
    public async Task One_batch_answers_each_submit_on_its_own_when_some_reuse_idempotency_keys()
    {
        // One batch at a time, so that the submits queued below are stored as one.
        await using var host = await SubmissionWriterHost.CreateAsync(servers, new Dictionary<string, string?> { ["Requests:MaxBatchesInFlight"] = "1" });
        var services = host.Services;

        var earlier = SubmissionWriterHost.NewRequest(num1: 1, key: "taken");
        await using (var db = await host.CreateDbContextAsync())
        {
            db.Requests.Add(earlier);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        // Queued before the writer runs, so its first read takes them all as one batch.
        var writer = host.Writer;
        var fresh = SubmissionWriterHost.NewRequest(num1: 2, key: null);
        var replay = SubmissionWriterHost.NewRequest(num1: 1, key: "taken");
        var reuse = SubmissionWriterHost.NewRequest(num1: 3, key: "taken");
        var keyed = SubmissionWriterHost.NewRequest(num1: 4, key: "new");
        var sameKeyInBatch = SubmissionWriterHost.NewRequest(num1: 4, key: "new");
        var last = SubmissionWriterHost.NewRequest(num1: 5, key: null);
        var outcomes = new[] { fresh, replay, reuse, keyed, sameKeyInBatch, last }.Select(r => writer.TryEnqueue(r)!).ToArray();
        await host.StartAsync();
        var answers = await Task.WhenAll(outcomes);

        Assert.Equal(fresh.Id, Assert.IsType<SubmissionOutcome.Accepted>(answers[0]).Request.Id);
        Assert.Equal(earlier.Id, Assert.IsType<SubmissionOutcome.Replayed>(answers[1]).Request.Id);
        Assert.IsType<SubmissionOutcome.KeyReused>(answers[2]);
        Assert.Equal(keyed.Id, Assert.IsType<SubmissionOutcome.Accepted>(answers[3]).Request.Id);
        Assert.Equal(keyed.Id, Assert.IsType<SubmissionOutcome.Replayed>(answers[4]).Request.Id);
        Assert.Equal(last.Id, Assert.IsType<SubmissionOutcome.Accepted>(answers[5]).Request.Id);

        Guid[] stored = [fresh.Id, keyed.Id, last.Id];
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var rows = new NpgsqlCommand(
            "SELECT count(*), count(DISTINCT xmin::text) FROM requests WHERE id = ANY($1)", connection) { Parameters = { new NpgsqlParameter { Value = stored } } };
        await using (var reader = await rows.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            await reader.ReadAsync(TestContext.Current.CancellationToken);
            Assert.Equal(3, reader.GetInt64(0));
            Assert.Equal(1, reader.GetInt64(1)); // one transaction stored them all
        }

        await using var afterwards = await host.CreateDbContextAsync();
        Assert.Equal(4, await afterwards.Requests.CountAsync(TestContext.Current.CancellationToken));
        var history = await afterwards.StatusChanges.Where(h => stored.Contains(h.RequestId)).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(stored.Order(), history.Select(h => h.RequestId).Order());
        Assert.All(history, h => Assert.Equal((RequestStatus.Pending, "submitted"), (h.Status, h.Detail)));

        // Their messages went out, and only theirs.
        using var sqs = servers.Sqs.CreateClient();
        var queueUrl = (await services.GetRequiredService<QueueTopology>().GetUrlsAsync(TestContext.Current.CancellationToken)).Queue;
        var received = new List<Guid>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Count < stored.Length)
        {
            var batch = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 }, deadline.Token);
            received.AddRange((batch.Messages ?? []).Select(m => RequestMessage.TryParse(m.Body)!.RequestId));
        }

        Assert.Equal(stored.Order(), received.Order());
    }
}
