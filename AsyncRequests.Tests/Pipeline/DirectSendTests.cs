using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Requests;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AsyncRequests.Tests.Pipeline;

public sealed class DirectSendTests(TestServers servers)
{
    [Fact]
    public async Task A_burst_against_a_slow_SQS_is_sent_by_the_submits_sender_leaving_nothing_to_the_relay()
    {
        const int Burst = 1_500;
        var sqs = new SlowSqsClient(servers.Sqs, TimeSpan.FromMilliseconds(50));
        using var handoffs = new MetricCollector<long>(RequestTelemetry.HandedToRelay);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            settings: new Dictionary<string, string?>
            {
                // The relay stays out of it: whatever the sender leaves stays unsent.
                ["Outbox:IntervalSeconds"] = "3600",
                ["Outbox:MinimumAgeSeconds"] = "3600",

                // A short send queue, so that a sender slower than the writer shows within a small burst.
                ["Requests:MaxQueuedSubmissions"] = "100",

                // A send that times out is the relay's by design; this test is about the sender's pace.
                ["Outbox:SendTimeoutSeconds"] = "30",
            },
            configureServices: services => services.AddSingleton<IAmazonSQS>(sqs));

        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Burst)
            {
                using var response = await pipeline.Client.PostAsJsonAsync(
                    "/requests", new { type = "multiply", input = new { num1 = 2, num2 = 3 } }, TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
        }));

        await using var db = pipeline.CreateDbContext();
        await Eventually.HoldsAsync(
            async () => await db.Requests.CountAsync(r => r.PublishedAt == null) == 0,
            () => $"{db.Requests.Count(r => r.PublishedAt == null)} of {Burst} requests were left to the relay; {sqs.Calls} calls sent {sqs.Entries} messages; handed over: {Reasons(handoffs)}.");
        Assert.Equal(Burst, sqs.Entries);
    }

    [Fact]
    public async Task With_default_settings_an_SQS_that_answers_seconds_late_gets_each_message_once()
    {
        const int Submits = 30;

        // SQS takes each message at once but answers 3 s late, as a loaded SQS (or emulator) may: a send that
        // times out before the answer keeps its mark, and the relay would send the message a second time.
        var sqs = new SlowSqsClient(servers.Sqs, TimeSpan.FromSeconds(3));
        var shipped = new OutboxOptions();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            settings: new Dictionary<string, string?>
            {
                // The shipped send timeout and relay age, in place of the fixture's quick relay.
                ["Outbox:SendTimeoutSeconds"] = shipped.SendTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
                ["Outbox:MinimumAgeSeconds"] = shipped.MinimumAgeSeconds.ToString(CultureInfo.InvariantCulture),
            },
            configureServices: services => services.AddSingleton<IAmazonSQS>(sqs));

        for (var i = 0; i < Submits; i++)
        {
            await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2 });
        }

        await using var db = pipeline.CreateDbContext();
        await Eventually.HoldsAsync(
            async () => await db.Requests.CountAsync(r => r.PublishedAt == null) == 0,
            () => $"{db.Requests.Count(r => r.PublishedAt == null)} of {Submits} requests still unsent; SQS took {sqs.Entries} messages.");
        Assert.Equal(Submits, sqs.Entries);
    }

    private static string Reasons(MetricCollector<long> handoffs) =>
        string.Join(", ", handoffs.GetMeasurementSnapshot()
            .GroupBy(m => m.Tags[RequestTelemetry.Tags.HandoffReason])
            .Select(g => $"{g.Sum(m => m.Value)} {g.Key}"));

    /// <summary>The real SQS client, answering each SendMessageBatch late (after SQS took its messages), counting what SQS took.</summary>
    private sealed class SlowSqsClient(SqsServer server, TimeSpan answerDelay) : AmazonSQSClient(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = server.ServiceUrl.ToString(), AuthenticationRegion = server.Region })
    {
        private int _calls;
        private int _entries;

        public int Calls => Volatile.Read(ref _calls);

        public int Entries => Volatile.Read(ref _entries);

        public override async Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            var response = await base.SendMessageBatchAsync(request, cancellationToken);
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _entries, response.Successful?.Count ?? 0);
            await Task.Delay(answerDelay, cancellationToken);
            return response;
        }
    }
}
