using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps background polling out of the trace list: inside <see cref="Suppress"/>, a span that would start a
/// trace of its own is dropped, so a poll loop adds nothing while idle. A span given a request's context
/// as its parent (a relayed send, a processed message) is still recorded in that request's trace. Unlike
/// OpenTelemetry's <c>SuppressInstrumentationScope</c>, this leaves logs and metrics alone.
/// </summary>
public static class BackgroundTracing
{
    private static readonly AsyncLocal<bool> s_suppressed = new();

    /// <summary>
    /// Marks the calling flow, and everything it starts, as background work until disposed. It also detaches
    /// from the current span, so repeated reads inside a request (a stream's polling) stay out of its trace.
    /// </summary>
    public static IDisposable Suppress()
    {
        var scope = new Scope(s_suppressed.Value, Activity.Current);
        s_suppressed.Value = true;
        Activity.Current = null;
        return scope;
    }

    /// <summary>Drops the root spans of background work; everything else is sampled as OpenTelemetry's default does.</summary>
    internal sealed class Sampler : OpenTelemetry.Trace.Sampler
    {
        private readonly ParentBasedSampler _default = new(new AlwaysOnSampler());

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            s_suppressed.Value && samplingParameters.ParentContext.TraceId == default
                ? new SamplingResult(SamplingDecision.Drop)
                : _default.ShouldSample(samplingParameters);
    }

    private sealed class Scope(bool wasSuppressed, Activity? detachedFrom) : IDisposable
    {
        public void Dispose()
        {
            s_suppressed.Value = wasSuppressed;
            Activity.Current = detachedFrom;
        }
    }
}
