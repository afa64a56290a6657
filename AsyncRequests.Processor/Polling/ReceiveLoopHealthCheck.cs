using System.Collections.Concurrent;
using AsyncRequests.Processor.Processing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Readiness of the queue pollers, so Aspire and any orchestrator see a stuck worker. A long poll returns
/// within <see cref="ProcessorOptions.WaitTimeSeconds"/> even from an empty queue, so a poller that has not
/// completed a receive for a few wait periods has stopped or is stuck. Running handlers excuse the silence:
/// a poller receives only when it has a free handler slot.
/// </summary>
public sealed class ReceiveLoopHealthCheck(RunningRequests running, IOptions<ProcessorOptions> options, TimeProvider time) : IHealthCheck
{
    public const string Name = "receive-loops";

    private const int WaitPeriods = 3;
    private static readonly TimeSpan s_minimumSilence = TimeSpan.FromSeconds(10);

    private readonly long _startedAt = time.GetTimestamp();
    private readonly ConcurrentDictionary<string, long> _lastReceives = new();

    private TimeSpan AllowedSilence => TimeSpan.FromSeconds(Math.Max(WaitPeriods * options.Value.WaitTimeSeconds, s_minimumSilence.TotalSeconds));

    /// <summary>Called by a poller after each receive that returned, with or without messages.</summary>
    public void ReceiveCompleted(string queueUrl) => _lastReceives[queueUrl] = time.GetTimestamp();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var allowed = AllowedSilence;
        if (running.Ids.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Handlers are running."));
        }

        if (_lastReceives.IsEmpty)
        {
            return Task.FromResult(time.GetElapsedTime(_startedAt) <= allowed
                ? HealthCheckResult.Healthy("Starting: no receive has completed yet.")
                : HealthCheckResult.Unhealthy($"No receive has completed in the {allowed.TotalSeconds:0}s since start."));
        }

        var stalled = _lastReceives.Where(r => time.GetElapsedTime(r.Value) > allowed).Select(r => r.Key).Order().ToList();
        return Task.FromResult(stalled.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"No receive from {string.Join(", ", stalled)} has completed for over {allowed.TotalSeconds:0}s: its poller has stopped or is stuck."));
    }
}
