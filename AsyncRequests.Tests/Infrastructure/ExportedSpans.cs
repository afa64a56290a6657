using System.Collections;
using System.Diagnostics;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// Where an in-memory exporter puts finished spans. Every host in the test process exports into it
/// concurrently, so it locks; and every host's tracer sees every span, so reads deduplicate.
/// </summary>
public sealed class ExportedSpans : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];

    public int Count
    {
        get
        {
            lock (_spans)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public void Add(Activity item)
    {
        lock (_spans)
        {
            _spans.Add(item);
        }
    }

    /// <summary>Every distinct span exported so far.</summary>
    public IReadOnlyList<Activity> Distinct()
    {
        lock (_spans)
        {
            return [.. _spans.DistinctBy(a => a.SpanId)];
        }
    }

    /// <summary>The distinct spans of one trace, once a span named <paramref name="lastSpan"/> has ended (or after a timeout).</summary>
    public async Task<IReadOnlyList<Activity>> WaitForTraceAsync(ActivityTraceId traceId, string lastSpan, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            List<Activity> trace;
            lock (_spans)
            {
                trace = [.. _spans.Where(a => a.TraceId == traceId).DistinctBy(a => a.SpanId)];
            }

            if (trace.Any(s => s.DisplayName == lastSpan) || deadline.IsCancellationRequested)
            {
                return trace;
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    public void Clear()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_spans)
        {
            return _spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_spans)
        {
            _spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_spans)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator()
    {
        lock (_spans)
        {
            return _spans.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
