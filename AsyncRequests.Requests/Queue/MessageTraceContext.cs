using System.Diagnostics;
using Amazon.SQS.Model;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace AsyncRequests.Requests.Queue;

/// <summary>
/// Carries W3C trace context across the queue hop in SQS message attributes, through the
/// configured propagator (no SQS instrumentation does this for us).
/// </summary>
public static class MessageTraceContext
{
    public static void Inject(ActivityContext context, Dictionary<string, MessageAttributeValue> attributes) =>
        Propagators.DefaultTextMapPropagator.Inject(
            new PropagationContext(context, Baggage.Current),
            attributes,
            static (carrier, key, value) => carrier[key] = new MessageAttributeValue { DataType = "String", StringValue = value });

    public static PropagationContext Extract(Dictionary<string, MessageAttributeValue>? attributes) =>
        Propagators.DefaultTextMapPropagator.Extract(
            default,
            attributes,
            static (carrier, key) => carrier?.TryGetValue(key, out var value) == true && value.StringValue is { } text ? [text] : []);

    /// <summary>Rebuilds the context a request was submitted under from what the store kept of it.</summary>
    public static ActivityContext FromStored(string? traceParent, string? traceState) =>
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
}
