using System.Collections.Concurrent;
using AsyncRequests.Processor.Processing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Readiness of the queue pollers, so Aspire and any orchestrator see a stuck worker. A long poll returns
/// within <see cref="ProcessorOptions.WaitTimeSeconds"/> even from an empty queue, so a poller that has not
/// completed a receive for a few wait periods has stopped or is stuck. Running handlers excuse the silence:
/// a poller receives only when it has a free handler slot. A poller that cannot reach its queue (at start
/// or later) says so at once, with the reason, until it reaches it again.
/// </summary>
public sealed class ReceiveLoopHealthCheck(RunningRequests running, IOptions<ProcessorOptions> options, TimeProvider time) : IHealthCheck
{
    public const string Name = "receive-loops";

    private const int WaitPeriods = 3;
    private static readonly TimeSpan s_minimumSilence = TimeSpan.FromSeconds(10);

    private readonly long _startedAt = time.GetTimestamp();
    private readonly ConcurrentDictionary<string, long> _lastReceives = new();
    private readonly ConcurrentDictionary<string, string> _failures = new();

    private TimeSpan AllowedSilence => TimeSpan.FromSeconds(Math.Max(WaitPeriods * options.Value.WaitTimeSeconds, s_minimumSilence.TotalSeconds));

    /// <summary>Called by a poller after each receive that returned, with or without messages.</summary>
    public void ReceiveCompleted(string queue)
    {
        _lastReceives[queue] = time.GetTimestamp();
        _failures.TryRemove(queue, out _);
    }

    /// <summary>Called by a poller whose last attempt to reach its queue failed, with why.</summary>
    public void Failing(string queue, string reason) => _failures[queue] = reason;

    /// <summary>Called by a poller that reached its queue again before its next receive.</summary>
    public void Recovered(string queue) => _failures.TryRemove(queue, out _);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var allowed = AllowedSilence;
        if (!_failures.IsEmpty)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(string.Join(" ", _failures.OrderBy(f => f.Key).Select(f => $"The {f.Key} cannot be reached: {f.Value}"))));
        }

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
