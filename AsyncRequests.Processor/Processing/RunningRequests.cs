using System.Collections.Concurrent;

namespace AsyncRequests.Processor.Processing;

/// <summary>The requests whose handlers run in this instance now, so they can be stopped from outside.</summary>
public sealed class RunningRequests
{
    private readonly ConcurrentDictionary<Guid, RunningRequest> _running = new();

    public IReadOnlyCollection<Guid> Ids => [.. _running.Keys];

    public RunningRequest Start(Guid requestId, CancellationToken handOver)
    {
        var running = new RunningRequest(requestId, CancellationTokenSource.CreateLinkedTokenSource(handOver), this);
        _running[requestId] = running;
        return running;
    }

    public async Task CancelAsync(Guid requestId)
    {
        if (_running.TryGetValue(requestId, out var running))
        {
            await running.StopAsync(cancelRequested: true);
        }
    }

    internal void Remove(RunningRequest running) => _running.TryRemove(new KeyValuePair<Guid, RunningRequest>(running.RequestId, running));
}

/// <summary>One running handler: its stop signal and why it was stopped.</summary>
public sealed class RunningRequest(Guid requestId, CancellationTokenSource stop, RunningRequests owner) : IDisposable
{
    private volatile bool _cancelRequested;
    private volatile bool _leaseLost;

    public Guid RequestId { get; } = requestId;

    public CancellationToken Stopping => stop.Token;

    /// <summary>The client cancelled the request: it ends cancelled.</summary>
    public bool CancelRequested => _cancelRequested;

    /// <summary>Another worker took the request over: this one must not record anything.</summary>
    public bool LeaseLost => _leaseLost;

    public Task StopAsync(bool cancelRequested = false, bool leaseLost = false)
    {
        _cancelRequested |= cancelRequested;
        _leaseLost |= leaseLost;
        return stop.CancelAsync();
    }

    public void Dispose()
    {
        owner.Remove(this);
        stop.Dispose();
    }
}
