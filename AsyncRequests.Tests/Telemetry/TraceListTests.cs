using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.ServerSentEvents;
using AsyncRequests.Requests;
using AsyncRequests.Tests.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace AsyncRequests.Tests.Telemetry;

/// <summary>Every host in this process sees every span and measurement, so these run alone.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class TraceListCollection;

/// <summary>
/// What the dashboard's trace list shows: one trace per request, and nothing from the background loops
/// (outbox relay, queue pollers, cancellation watcher, event-stream reads), which keep their metrics and logs.
/// </summary>
[Collection(typeof(TraceListCollection))]
public sealed class TraceListTests(TestServers servers)
{
    private static readonly TimeSpan s_traceWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Idle_services_keep_polling_with_metrics_and_logs_but_export_no_spans()
    {
        using var loops = new BackgroundLoops();
        var exported = new ExportedSpans();
        var logs = new ExportedLogs();
        await using var pipeline = await StartAsync(exported, logs);

        await loops.WaitForMoreAsync(relayPasses: 3, httpCalls: 9);

        Assert.Empty(Describe(exported.Distinct()));
        Assert.Contains(logs.Messages, message => message.StartsWith("Polling ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_submit_exports_one_trace_while_the_loops_poll_and_watch_it()
    {
        using var loops = new BackgroundLoops();
        var exported = new ExportedSpans();
        await using var pipeline = await StartAsync(exported);

        // Slow enough for the cancellation watcher to check on it many times while it runs.
        var traceId = await SubmitUnderNewTraceAsync(pipeline, "multiply", new { num1 = 6, num2 = 7, delayMs = 1000 });
        var trace = await exported.WaitForTraceAsync(traceId, $"process {pipeline.QueueName}", s_traceWait);
        Assert.Contains(trace, s => s.DisplayName == "handle multiply");
        await loops.WaitForMoreAsync(relayPasses: 3, httpCalls: 6);

        Assert.Empty(Describe(exported.Distinct().Where(s => s.TraceId != traceId)));
    }

    [Fact]
    public async Task A_request_sent_later_by_the_relay_joins_its_submit_trace_and_the_relay_polls_add_none()
    {
        using var loops = new BackgroundLoops();
        var exported = new ExportedSpans();
        await using var pipeline = await StartAsync(exported, processors: 0, settings: new Dictionary<string, string?>
        {
            ["AWS:ServiceURL"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Outbox:IntervalSeconds"] = "3600",
        });
        var traceId = await SubmitUnderNewTraceAsync(pipeline, "multiply", new { num1 = 2, num2 = 21 });

        await pipeline.RestartApiAsync(new Dictionary<string, string?>
        {
            ["AWS:ServiceURL"] = servers.Sqs.ServiceUrl.ToString(),
            ["Outbox:IntervalSeconds"] = "1",
        });
        pipeline.StartProcessor();
        var trace = await exported.WaitForTraceAsync(traceId, $"process {pipeline.QueueName}", s_traceWait);
        await loops.WaitForMoreAsync(relayPasses: 3, httpCalls: 6);

        var sends = trace.Where(s => s.DisplayName == $"send {pipeline.QueueName}").ToList();
        Assert.Equal(2, sends.Count);
        var relayed = Assert.Single(sends, s => s.Status != ActivityStatusCode.Error);
        var process = Assert.Single(trace, s => s.DisplayName == $"process {pipeline.QueueName}");
        Assert.Equal(relayed.SpanId, process.ParentSpanId);
        Assert.Empty(Describe(exported.Distinct().Where(s => s.TraceId != traceId)));
    }

    [Fact]
    public async Task An_event_stream_is_traced_but_its_reads_shared_with_other_streams_are_not()
    {
        var exported = new ExportedSpans();
        await using var pipeline = await StartAsync(exported);
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "watch me", delayMs = 1500 });

        var traceId = ActivityTraceId.CreateRandom();
        var documents = 0;
        using (StartCallerSpan(traceId))
        {
            using var response = await pipeline.Client.GetAsync($"/requests/{id}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            await foreach (var _ in SseParser.Create(stream).EnumerateAsync(TestContext.Current.CancellationToken))
            {
                documents++;
            }
        }

        var trace = await exported.WaitForTraceAsync(traceId, "GET /requests/{id:guid}/events", s_traceWait);
        Assert.True(documents >= 3, $"The stream sent {documents} documents; it should have followed the stages.");
        // One query reads for every stream watching at the time, so it is no single stream's.
        Assert.DoesNotContain(trace, s => s.Source.Name == "Npgsql");
    }

    [Fact]
    public async Task A_webhook_attempt_joins_its_request_trace_and_the_dispatcher_polls_add_none()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var exported = new ExportedSpans();
        await using var pipeline = await StartAsync(exported);
        var traceId = ActivityTraceId.CreateRandom();
        using (StartCallerSpan(traceId))
        {
            using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 6, num2 = 7 }, callbackUrl = receiver.UrlFor("traced") });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }

        var trace = await exported.WaitForTraceAsync(traceId, "deliver webhook", s_traceWait);
        await receiver.WaitUntilAsync(r => r.ReceivedAt("traced").Count == 1, "the webhook");

        var delivery = Assert.Single(trace, s => s.DisplayName == "deliver webhook");
        Assert.Equal("delivered", delivery.GetTagItem(RequestTelemetry.Tags.WebhookOutcome));
        Assert.Contains(trace, s => s.ParentSpanId == delivery.SpanId && s.Kind == ActivityKind.Client);
        Assert.Empty(Describe(exported.Distinct().Where(s => s.TraceId != traceId)));
    }

    private Task<Infrastructure.Pipeline> StartAsync(
        ExportedSpans exported, ExportedLogs? logs = null, int processors = 1, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var fastLoops = new Dictionary<string, string?>
        {
            ["Processor:WaitTimeSeconds"] = "1",
            ["Processor:CancellationCheckMilliseconds"] = "100",
            ["Logging:LogLevel:AsyncRequests.Processor.Polling"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            fastLoops[key] = value;
        }

        return Infrastructure.Pipeline.StartAsync(servers, processors, fastLoops, services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported));
            if (logs is not null)
            {
                services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(logs));
            }
        });
    }

    private static async Task<ActivityTraceId> SubmitUnderNewTraceAsync(Infrastructure.Pipeline pipeline, string type, object input)
    {
        var traceId = ActivityTraceId.CreateRandom();
        using (StartCallerSpan(traceId))
        {
            await pipeline.SubmitAsync(type, input);
        }

        return traceId;
    }

    /// <summary>The test's own span (not exported): what it calls continues its trace, whose id the test knows.</summary>
    private static Activity StartCallerSpan(ActivityTraceId traceId) =>
        new Activity("test caller").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();

    private static List<string> Describe(IEnumerable<Activity> spans) =>
        [.. spans.Select(s => $"{s.Source.Name}: {s.DisplayName}").Distinct()];

    /// <summary>Counts the background loops' work through the metrics they keep: relay passes (the backlog gauge) and HTTP calls to SQS.</summary>
    private sealed class BackgroundLoops : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _relayPasses;
        private long _httpCalls;

        public BackgroundLoops()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if ((instrument.Meter.Name, instrument.Name) is (RequestTelemetry.Name, "asyncrequests.outbox.backlog") or ("System.Net.Http", "http.client.request.duration"))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _relayPasses));
            _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _httpCalls));
            _listener.Start();
        }

        public async Task WaitForMoreAsync(int relayPasses, int httpCalls)
        {
            var relayTarget = Interlocked.Read(ref _relayPasses) + relayPasses;
            var httpTarget = Interlocked.Read(ref _httpCalls) + httpCalls;
            await Eventually.HoldsAsync(
                () => Interlocked.Read(ref _relayPasses) >= relayTarget && Interlocked.Read(ref _httpCalls) >= httpTarget,
                () => $"The loops did not run: {_relayPasses} relay passes, {_httpCalls} HTTP calls.",
                TimeSpan.FromSeconds(60));
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The formatted messages of every log record the OpenTelemetry logger exports.</summary>
    private sealed class ExportedLogs : BaseProcessor<LogRecord>
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IEnumerable<string> Messages => _messages;

        public override void OnEnd(LogRecord data) => _messages.Enqueue(data.FormattedMessage ?? data.Body ?? string.Empty);
    }
}
