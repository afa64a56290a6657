using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AsyncRequests.Requests;
using AsyncRequests.Tests.Infrastructure;
using AsyncRequests.Tests.Telemetry;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>Measurements are process-wide, so this runs with the other metrics tests, alone.</summary>
[Collection(typeof(MetricsCollection))]
public sealed class WebhookMetricsTests(TestServers servers)
{
    [Fact]
    public async Task Attempts_are_counted_by_outcome_and_the_backlog_gauge_follows_the_pending_deliveries()
    {
        using var metrics = new WebhookMeasurements();
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("retried", 500);
        receiver.AnswerWith("gone", 410);

        // The retry waits longer than the gauge's refresh, so the backlog is seen while it waits.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Webhooks:FirstRetryDelayMilliseconds"] = "12000",
            ["Webhooks:MaxRetryDelaySeconds"] = "12",
        });
        var retried = await SubmitAsync(pipeline, receiver.UrlFor("retried"));
        var gone = await SubmitAsync(pipeline, receiver.UrlFor("gone"));

        await metrics.WaitUntilAsync(() => metrics.Backlog.Contains(1), "a backlog of 1");
        await pipeline.WaitUntilAsync(retried, d => d.Webhook?.State == WebhookState.Delivered);
        await pipeline.WaitUntilAsync(gone, d => d.Webhook?.State == WebhookState.Failed);
        await metrics.WaitUntilAsync(() => metrics.Backlog.LastOrDefault(-1) == 0, "an empty backlog");

        Assert.Equal(1, metrics.Attempts("delivered"));
        Assert.Equal(1, metrics.Attempts("retried"));
        Assert.Equal(1, metrics.Attempts("failed"));
    }

    private static async Task<Guid> SubmitAsync(Infrastructure.Pipeline pipeline, Uri callbackUrl)
    {
        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 2, num2 = 3 }, callbackUrl });
        response.EnsureSuccessStatusCode();
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<SubmissionAccepted>(response.Content, Infrastructure.Pipeline.JsonOptions))!.Id;
    }

    private sealed class WebhookMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, long Value, string? Outcome)> _measurements = new();
        private readonly Timer _collector;

        public WebhookMeasurements()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RequestTelemetry.Name && instrument.Name.StartsWith("asyncrequests.webhooks.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? outcome = null;
                foreach (var tag in tags)
                {
                    outcome = tag.Key == RequestTelemetry.Tags.WebhookOutcome ? tag.Value as string : outcome;
                }

                _measurements.Enqueue((instrument.Name, value, outcome));
            });
            _listener.Start();

            // As an exporter would: the observable gauge is read on each collection.
            _collector = new Timer(_ => _listener.RecordObservableInstruments(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }

        public IReadOnlyList<long> Backlog => [.. _measurements.Where(m => m.Name == "asyncrequests.webhooks.backlog").Select(m => m.Value)];

        public long Attempts(string outcome) =>
            _measurements.Where(m => m.Name == "asyncrequests.webhooks.attempts" && m.Outcome == outcome).Sum(m => m.Value);

        public Task WaitUntilAsync(Func<bool> condition, string what) =>
            Eventually.HoldsAsync(condition, () => $"The webhook metrics never showed {what}.", TimeSpan.FromSeconds(60));

        public void Dispose()
        {
            _collector.Dispose();
            _listener.Dispose();
        }
    }
}
