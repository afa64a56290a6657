using AsyncRequests.Benchmarks.Measurement;

namespace AsyncRequests.Benchmarks.Load;

/// <summary>
/// wrk against several accepting processes at once: wrk takes one URL, so one wrk runs per process, side by side,
/// with the connections split evenly. Their results add up: requests, errors and the generator's CPU are sums;
/// the latency percentiles are the worst of the wrk runs (percentiles of separate runs cannot be merged).
/// </summary>
public static class WrkSpread
{
    public static async Task<LoadResult> RunAsync(
        IReadOnlyList<Uri> urls, int connections, TimeSpan duration, string? jsonBody, string? bearerToken, CancellationToken ct)
    {
        if (urls.Count == 1)
        {
            return await Wrk.RunAsync(urls[0], connections, duration, jsonBody, bearerToken, ct);
        }

        // Each wrk counts the CPU of every child reaped while it ran, the other wrk runs too: only the total is right.
        var cpuBefore = ProcessStats.CpuSecondsOf(Environment.ProcessId);
        var results = await Task.WhenAll(urls
            .Select((url, i) => (Url: url, Connections: connections / urls.Count + (i < connections % urls.Count ? 1 : 0)))
            .Where(run => run.Connections > 0)
            .Select(run => Wrk.RunAsync(run.Url, run.Connections, duration, jsonBody, bearerToken, ct)));
        return new LoadResult(
            results.Sum(r => r.Requests),
            results.Max(r => r.Seconds),
            results.Max(r => r.P50Ms),
            results.Max(r => r.P99Ms),
            results.Sum(r => r.Non2xx),
            results.Sum(r => r.SocketErrors),
            ProcessStats.CpuSecondsOf(Environment.ProcessId) - cpuBefore);
    }
}
