using System.Collections.Concurrent;
using AsyncRequests.Processor.Polling;

namespace AsyncRequests.Processor.Processing;

/// <summary>The requests whose handlers run in this instance now, so they can be kept alive and stopped from outside.</summary>
public sealed class RunningRequests
{
    private readonly ConcurrentDictionary<Guid, RunningRequest> _running = new();

    public IReadOnlyCollection<Guid> Ids => [.. _running.Keys];

    public IReadOnlyCollection<RunningRequest> All => [.. _running.Values];

    public RunningRequest Start(Guid requestId, Guid owner, InFlightMessage message, CancellationToken handOver)
    {
        var running = new RunningRequest(requestId, owner, message, CancellationTokenSource.CreateLinkedTokenSource(handOver), this);
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

/// <summary>One running handler: its lease, its message, the progress it reported last, its stop signal and why it was stopped.</summary>
public sealed class RunningRequest(Guid requestId, Guid owner, InFlightMessage message, CancellationTokenSource stop, RunningRequests registry) : IDisposable
{
    private volatile bool _cancelRequested;
    private volatile bool _leaseLost;
    private Progress? _unwrittenProgress;

    public Guid RequestId { get; } = requestId;

    /// <summary>The lease owner this instance claimed the request as.</summary>
    public Guid Owner { get; } = owner;

    public CancellationToken Stopping => stop.Token;

    /// <summary>The client cancelled the request: it ends cancelled.</summary>
    public bool CancelRequested => _cancelRequested;

    /// <summary>Another worker took the request over: this one must not record anything.</summary>
    public bool LeaseLost => _leaseLost;

    /// <summary>Keeps only the latest report: a handler that reports often costs one write per flush.</summary>
    public void ReportProgress(int percent, string stage) => Interlocked.Exchange(ref _unwrittenProgress, new Progress(percent, stage));

    /// <summary>The progress reported since the last call, if any.</summary>
    public Progress? TakeProgress() => Interlocked.Exchange(ref _unwrittenProgress, null);

    public Task LoseLeaseAsync()
    {
        message.Abandon();
        return StopAsync(leaseLost: true);
    }

    public async Task StopAsync(bool cancelRequested = false, bool leaseLost = false)
    {
        _cancelRequested |= cancelRequested;
        _leaseLost |= leaseLost;
        try
        {
            await stop.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The handler finished meanwhile: there is nothing left to stop.
        }
    }

    public void Dispose()
    {
        registry.Remove(this);
        stop.Dispose();
    }
}
