using System.Diagnostics;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using OpenTelemetry.Trace;

namespace AsyncRequests.Tests.Telemetry;

public sealed class TracePropagationTests(TestServers servers)
{
    [Fact]
    public async Task The_submit_trace_continues_through_the_queue_into_the_processor()
    {
        var exported = new ExportedSpans();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            configureServices: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported)));
        // The caller's own span: the submit, and so everything after it, must continue its trace.
        var traceId = ActivityTraceId.CreateRandom();
        using var caller = new Activity("test caller").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();

        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 5, num2 = 10 } });
        caller.Stop();
        var id = Guid.Parse(response.Headers.Location!.ToString().Split('/')[^1]);
        var document = await pipeline.WaitForTerminalAsync(id);

        Assert.Equal(traceId.ToString(), document.TraceId);
        var spans = await exported.WaitForTraceAsync(traceId, "handle multiply");
        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST", StringComparison.Ordinal));
        var send = Assert.Single(spans, s => s.DisplayName == $"send {pipeline.QueueName}");
        var process = Assert.Single(spans, s => s.DisplayName == $"process {pipeline.QueueName}");
        var handle = Assert.Single(spans, s => s.DisplayName == "handle multiply");

        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal(server.SpanId, send.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        Assert.Equal(process.SpanId, handle.ParentSpanId);
        foreach (var (span, operation) in new[] { (send, "send"), (process, "process") })
        {
            Assert.Equal("aws_sqs", span.GetTagItem("messaging.system"));
            Assert.Equal(pipeline.QueueName, span.GetTagItem("messaging.destination.name"));
            Assert.Equal(operation, span.GetTagItem("messaging.operation.name"));
            Assert.Equal(operation, span.GetTagItem("messaging.operation.type"));
            Assert.False(string.IsNullOrEmpty(span.GetTagItem("messaging.message.id") as string));
        }

        Assert.Equal(send.GetTagItem("messaging.message.id"), process.GetTagItem("messaging.message.id"));
    }

    [Theory]
    [InlineData("/requests")]
    [InlineData("/requests/")]
    public async Task A_submit_is_traced_as_POST_requests_with_or_without_a_trailing_slash(string path)
    {
        var exported = new ExportedSpans();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            configureServices: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported)));
        var traceId = ActivityTraceId.CreateRandom();

        using (new Activity("test caller").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            using var response = await pipeline.Client.PostAsJsonAsync(path, new { type = "multiply", input = new { num1 = 1, num2 = 2 } }, TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }

        var spans = await exported.WaitForTraceAsync(traceId, "POST /requests", TimeSpan.FromSeconds(30));
        Assert.Equal(["POST /requests"], spans.Where(s => s.Kind == ActivityKind.Server).Select(s => s.DisplayName));
    }
}
