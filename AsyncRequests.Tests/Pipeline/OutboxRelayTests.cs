using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.Pipeline;

public sealed class OutboxRelayTests(TestServers servers)
{
    [Fact]
    public async Task Requests_accepted_while_SQS_is_unreachable_complete_once_it_is_back()
    {
        await using var sqs = await SqsServer.StartAsync(persistent: true, TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, sqs: sqs);
        await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 }));

        await sqs.StopAsync();
        var ids = new List<Guid>();
        for (var i = 1; i <= 5; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 10 }));
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(5, await db.Requests.CountAsync(r => ids.Contains(r.Id) && r.PublishedAt == null, TestContext.Current.CancellationToken));
        }

        await sqs.StartAgainAsync(TestContext.Current.CancellationToken);

        for (var i = 1; i <= 5; i++)
        {
            var done = await pipeline.WaitForTerminalAsync(ids[i - 1], TimeSpan.FromSeconds(60));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Equal(i * 10, done.Result!.Value.GetProperty("product").GetDouble());
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(0, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_backlog_is_sent_in_one_drain_of_back_to_back_passes_without_waiting_for_a_tick()
    {
        const int Backlog = 5_000;
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: new Dictionary<string, string?> { ["Outbox:IntervalSeconds"] = "3600" }, configureServices: logs.AddTo);
        await InsertUnsentAsync(pipeline, Backlog);

        // The restarted Api's first drain runs at start; the next tick is an hour away.
        await pipeline.RestartApiAsync(new Dictionary<string, string?>());

        await using var db = pipeline.CreateDbContext();
        await Eventually.HoldsAsync(
            async () => await db.Requests.CountAsync(r => r.PublishedAt == null) == 0,
            () => $"The backlog was not sent without a tick; relay log: {string.Join(" | ", RelayLines(logs))}");
        Assert.Equal(Backlog, await CountQueuedAsync(pipeline));
        var drain = Assert.Single(RelayLines(logs), line => line.StartsWith("Relayed", StringComparison.Ordinal));
        Assert.Equal($"Relayed {Backlog} unsent request messages in {(Backlog / 100) + 1} passes; 0 remain unsent", drain);
    }

    [Fact]
    public async Task Two_api_instances_relaying_one_backlog_send_every_row_exactly_once()
    {
        const int Backlog = 3_000;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            // The pipeline's own Api drains the empty table at start, then sleeps; the two instances below do the work.
            ["Outbox:IntervalSeconds"] = "3600",

            // No send may time out after SQS took it: that would be a harmless duplicate, but not this test's subject.
            ["Outbox:SendTimeoutSeconds"] = "60",
        });
        await InsertUnsentAsync(pipeline, Backlog);

        // The first instance holds its first batch (and its row locks) until the second has sent one, so both
        // are relaying the same backlog at once, whichever starts first.
        var firstIsSending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondHasSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new CountingSqsClient(servers.Sqs, before: () => { firstIsSending.TrySetResult(); return secondHasSent.Task; }, after: () => { });
        var second = new CountingSqsClient(servers.Sqs, before: () => firstIsSending.Task, after: () => secondHasSent.TrySetResult());
        pipeline.StartApi(services => services.AddSingleton<IAmazonSQS>(first));
        pipeline.StartApi(services => services.AddSingleton<IAmazonSQS>(second));

        await using var db = pipeline.CreateDbContext();
        await Eventually.HoldsAsync(
            async () => await db.Requests.CountAsync(r => r.PublishedAt == null) == 0,
            () => $"Rows left unsent; sent by the first instance: {first.Sent}, by the second: {second.Sent}.",
            TimeSpan.FromSeconds(60));
        var queued = await CountQueuedAsync(pipeline);
        Assert.True(queued == Backlog, $"{queued - Backlog} duplicate messages: {queued} queued for {Backlog} rows.");
        Assert.Equal(Backlog, first.Sent + second.Sent);
        Assert.True(first.Sent > 0 && second.Sent > 0, $"Only one instance relayed: {first.Sent} and {second.Sent}.");
    }

    [Fact]
    public async Task Sends_that_fail_at_submit_are_counted_in_one_warning_per_relay_interval_not_one_per_call()
    {
        const int Submits = 20;
        var logs = new CapturedLogs();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            settings: new Dictionary<string, string?>
            {
                ["AWS:ServiceURL"] = $"http://127.0.0.1:{FreePort.Next()}",
                ["Outbox:SendTimeoutSeconds"] = "1",
            },
            configureServices: services =>
            {
                logs.AddTo(services);
                services.AddSingleton<TimeProvider>(clock);
            });
        for (var i = 0; i < Submits; i++)
        {
            await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2 });
        }

        // Each tick of the relay's clock reports what was handed over since the last one.
        await Eventually.HoldsAsync(
            () =>
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                return HandedOver(logs).Sum() == Submits;
            },
            () => $"Handed over, as logged: {string.Join(", ", HandedOver(logs))}.");
        Assert.DoesNotContain(logs.Entries, e => e.Category.EndsWith("RequestPublisher", StringComparison.Ordinal) && e.Level >= LogLevel.Warning);
    }

    private static List<int> HandedOver(CapturedLogs logs) =>
    [
        .. logs.Entries
            .Where(e => e.Level == LogLevel.Warning && e.Message.Contains("were not sent at submit", StringComparison.Ordinal))
            .Select(e => int.Parse(e.Message.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>Unsent requests an hour old, as a crash or an outage leaves them, written straight to the database.</summary>
    private static async Task InsertUnsentAsync(Infrastructure.Pipeline pipeline, int count)
    {
        await using var db = pipeline.CreateDbContext();
        await db.Database.ExecuteSqlAsync(
            $$"""
            INSERT INTO requests (id, type, input, status, progress_percent, attempts, created_at, updated_at, cancel_requested)
            SELECT gen_random_uuid(), 'multiply', '{"num1": 2, "num2": 3}'::jsonb, 'pending', 0, 0,
                   now() - interval '1 hour' + n * interval '1 microsecond', now() - interval '1 hour', false
            FROM generate_series(1, {{count}}) AS n
            """,
            TestContext.Current.CancellationToken);
    }

    private static async Task<int> CountQueuedAsync(Infrastructure.Pipeline pipeline)
    {
        var queueUrl = (await pipeline.Sqs.GetQueueUrlAsync(pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        var attributes = await pipeline.Sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages"], TestContext.Current.CancellationToken);
        return attributes.ApproximateNumberOfMessages;
    }

    private static List<string> RelayLines(CapturedLogs logs) =>
        [.. logs.Entries.Where(e => e.Category.EndsWith("OutboxRelay", StringComparison.Ordinal) && e.Level >= LogLevel.Information).Select(e => e.Message)];

    /// <summary>The real SQS client, counting the entries SQS took, with a hook around the first SendMessageBatch.</summary>
    private sealed class CountingSqsClient(SqsServer server, Func<Task> before, Action after) : AmazonSQSClient(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = server.ServiceUrl.ToString(), AuthenticationRegion = server.Region })
    {
        private int _sent;
        private int _calls;

        public int Sent => Volatile.Read(ref _sent);

        public override async Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            var firstCall = Interlocked.Increment(ref _calls) == 1;
            if (firstCall)
            {
                await before().WaitAsync(cancellationToken);
            }

            var response = await base.SendMessageBatchAsync(request, cancellationToken);
            Interlocked.Add(ref _sent, response.Successful?.Count ?? 0);
            if (firstCall)
            {
                after();
            }

            return response;
        }
    }
}
