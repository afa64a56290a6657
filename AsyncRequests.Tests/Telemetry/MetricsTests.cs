using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AsyncRequests.Requests;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Telemetry;

/// <summary>Measurements are process-wide, so this runs alone: every count below is exact.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class MetricsCollection;

[Collection(typeof(MetricsCollection))]
public sealed class MetricsTests(TestServers servers)
{
    [Fact]
    public async Task A_real_run_records_submitted_completed_durations_attempts_backlog_and_in_flight()
    {
        using var metrics = new RecordedMetrics();

        // First an Api that cannot reach SQS, so the outbox backlog builds up.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["AWS:ServiceURL"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Outbox:SendTimeoutSeconds"] = "1",
            ["Processor:MaxAttempts"] = "2",
        });
        var ids = new List<Guid>
        {
            await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 }),
            await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 4 }),
            await pipeline.SubmitAsync("multiply", new { num1 = 5, num2 = 6 }),
            await pipeline.SubmitAsync("fail", new { mode = "permanent" }),
            await pipeline.SubmitAsync("fail", new { mode = "transient" }),
        };
        await metrics.WaitUntilAsync("asyncrequests.outbox.backlog", m => m.Value == 5);
        await Eventually.HoldsAsync(
            () => metrics.Sum("asyncrequests.outbox.handed_to_relay") == 5,
            () => $"Handed to the relay: {metrics.Sum("asyncrequests.outbox.handed_to_relay")}, not 5.");
        Assert.Equal(0, metrics.Sum("asyncrequests.outbox.handed_to_relay", ("asyncrequests.outbox.reason", "refused")));

        await pipeline.RestartApiAsync(new Dictionary<string, string?> { ["AWS:ServiceURL"] = servers.Sqs.ServiceUrl.ToString() });
        pipeline.StartProcessor();
        foreach (var id in ids)
        {
            await pipeline.WaitForTerminalAsync(id);
        }

        await metrics.WaitUntilAsync("asyncrequests.outbox.backlog", m => m.Value == 0);
        await metrics.WaitUntilCountAsync("asyncrequests.requests.completed", 5);

        Assert.Equal(3, metrics.Sum("asyncrequests.requests.submitted", ("asyncrequests.request.type", "multiply")));
        Assert.Equal(2, metrics.Sum("asyncrequests.requests.submitted", ("asyncrequests.request.type", "fail")));
        Assert.Equal(5, metrics.Sum("asyncrequests.submissions.batch_size"));
        Assert.Equal(3, metrics.Sum("asyncrequests.requests.completed", ("asyncrequests.request.type", "multiply"), ("asyncrequests.request.status", "succeeded")));
        Assert.Equal(2, metrics.Sum("asyncrequests.requests.completed", ("asyncrequests.request.type", "fail"), ("asyncrequests.request.status", "failed")));
        Assert.Equal([1, 1, 1, 1, 2], metrics.Values("asyncrequests.requests.attempts").Order());
        Assert.Equal(6, metrics.Values("asyncrequests.processing.duration").Count);
        Assert.All(metrics.Values("asyncrequests.processing.duration"), seconds => Assert.InRange(seconds, 0, 60));
        Assert.Equal(5, metrics.Values("asyncrequests.queue.duration").Count);
        Assert.Equal(0, metrics.Sum("asyncrequests.handlers.in_flight"));
        Assert.Equal(6, metrics.Values("asyncrequests.handlers.in_flight").Count(v => v > 0));
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["asyncrequests.requests.submitted"] = "{request}",
                ["asyncrequests.requests.completed"] = "{request}",
                ["asyncrequests.requests.attempts"] = "{attempt}",
                ["asyncrequests.submissions.batch_size"] = "{request}",
                ["asyncrequests.processing.duration"] = "s",
                ["asyncrequests.queue.duration"] = "s",
                ["asyncrequests.handlers.in_flight"] = "{request}",
                ["asyncrequests.outbox.backlog"] = "{request}",
                ["asyncrequests.outbox.handed_to_relay"] = "{message}",
                ["asyncrequests.requests.purged"] = "{request}",
                ["asyncrequests.webhooks.attempts"] = "{attempt}",
                ["asyncrequests.webhooks.backlog"] = "{delivery}",
            },
            metrics.Units);
    }

    /// <summary>Every measurement of the project's Meter while it lives.</summary>
    private sealed class RecordedMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

        public RecordedMetrics()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RequestTelemetry.Name)
                {
                    Units[instrument.Name] = instrument.Unit;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public ConcurrentDictionary<string, string?> Units { get; } = new();

        public List<double> Values(string name) => [.. _measurements.Where(m => m.Name == name).Select(m => m.Value)];

        public double Sum(string name, params (string Key, string Value)[] tags) =>
            _measurements
                .Where(m => m.Name == name && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value, t.Value))))
                .Sum(m => m.Value);

        public Task WaitUntilAsync(string name, Func<(string Name, double Value, KeyValuePair<string, object?>[] Tags), bool> condition) =>
            WaitAsync(() => _measurements.Any(m => m.Name == name && condition(m)), name);

        public Task WaitUntilCountAsync(string name, int count) =>
            WaitAsync(() => _measurements.Count(m => m.Name == name) >= count, name);

        public void Dispose() => _listener.Dispose();

        private static Task WaitAsync(Func<bool> condition, string name) =>
            Eventually.HoldsAsync(condition, () => $"No expected measurement of {name} arrived.");
    }
}
