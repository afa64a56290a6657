using System.Threading.Channels;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// Reads status documents for every event stream of this instance. Streams register what they watch;
/// a notified change (see <see cref="RequestChangeListener"/>) marks a request to be read, and one query
/// reads all marked requests, so the streams of one request share a read and a batch of outcomes costs one
/// query, on one pool connection taken only while it reads. A read made for a stream starts after the
/// stream registered and reads run one after another, so each stream sees its request's changes in order.
/// A database outage is waited out: marked requests are read again after a backoff, or as soon as
/// something new asks for a read (the listener back, a new stream).
/// </summary>
public sealed partial class RequestWatchers(
    IDbContextFactory<RequestsDbContext> contexts,
    TimeProvider time,
    IOptions<SubmissionOptions> options,
    ILogger<RequestWatchers> logger) : BackgroundService
{
    private static readonly TimeSpan s_retryInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<RequestWatch>> _watches = [];
    private readonly HashSet<Guid> _toRead = [];
    private readonly List<SingleRead> _singleReads = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>
    /// The document as it is now (null: no such request), read with whatever else is due. Unlike a
    /// watch, this fails at once when the database is unreachable, so its caller can answer 503.
    /// </summary>
    public async Task<RequestStatusDocument?> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<RequestStatusDocument?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _singleReads.Add(new SingleRead(id, answer));
        }

        Wake();
        return await answer.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts watching a request: the watch gets its document now and after each change.</summary>
    public RequestWatch Watch(Guid id)
    {
        var watch = new RequestWatch(id, this);
        lock (_lock)
        {
            if (!_watches.TryGetValue(id, out var watches))
            {
                _watches[id] = watches = [];
            }

            watches.Add(watch);
            // Whatever changed since the caller's own read is in the first read made for the watch.
            _toRead.Add(id);
        }

        Wake();
        return watch;
    }

    /// <summary>A change of <paramref name="id"/> was committed: its watches read it again.</summary>
    public void Changed(Guid id)
    {
        lock (_lock)
        {
            if (!_watches.ContainsKey(id) || !_toRead.Add(id))
            {
                return;
            }
        }

        Wake();
    }

    /// <summary>Any request may have changed unannounced: every watch reads again.</summary>
    public void ChangedAll()
    {
        lock (_lock)
        {
            if (_watches.Count == 0)
            {
                return;
            }

            _toRead.UnionWith(_watches.Keys);
        }

        Wake();
    }

    internal void Unwatch(RequestWatch watch)
    {
        lock (_lock)
        {
            if (_watches.TryGetValue(watch.RequestId, out var watches) && watches.Remove(watch) && watches.Count == 0)
            {
                _watches.Remove(watch.RequestId);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One query serves many streams, so it belongs to none of their traces.
        using var untraced = BackgroundTracing.Suppress();
        var refreshing = RefreshPeriodicallyAsync(stoppingToken);
        var failures = 0;
        try
        {
            while (true)
            {
                if (failures == 0)
                {
                    await _wake.Reader.ReadAsync(stoppingToken);
                }
                else
                {
                    await WaitForWakeAsync(FailureBackoff.After(failures, s_retryInterval), stoppingToken);
                }

                failures = await ReadDueAsync(failures, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await refreshing;
        }
    }

    private async Task RefreshPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.EventsRefreshSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                ChangedAll();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WaitForWakeAsync(TimeSpan backoff, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(backoff, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _wake.Reader.ReadAsync(waiting.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>The number of failed reads in a row.</returns>
    private async Task<int> ReadDueAsync(int failures, CancellationToken stoppingToken)
    {
        var (ids, watches, singleReads) = TakeDue();
        if (ids.Count == 0)
        {
            return 0;
        }

        try
        {
            var documents = await ReadDocumentsAsync(ids, stoppingToken);
            if (failures > 0)
            {
                LogReadsRecovered(logger, failures);
            }

            foreach (var watch in watches)
            {
                watch.Offer(documents.GetValueOrDefault(watch.RequestId));
            }

            foreach (var (id, answer) in singleReads)
            {
                answer.TrySetResult(documents.GetValueOrDefault(id));
            }

            return 0;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && !stoppingToken.IsCancellationRequested)
        {
            if (failures == 0)
            {
                LogReadFailed(logger, e);
            }

            foreach (var (_, answer) in singleReads)
            {
                answer.TrySetException(e);
            }

            lock (_lock)
            {
                _toRead.UnionWith(watches.Select(w => w.RequestId).Where(_watches.ContainsKey));
            }

            return failures + 1;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogReadBroken(logger, e);
            foreach (var (_, answer) in singleReads)
            {
                answer.TrySetException(e);
            }

            foreach (var watch in watches)
            {
                watch.Fail(e);
            }

            return 0;
        }
    }

    /// <summary>What to read now, and for whom: only watches registered before this read starts get its documents.</summary>
    private (HashSet<Guid> Ids, List<RequestWatch> Watches, List<SingleRead> SingleReads) TakeDue()
    {
        lock (_lock)
        {
            var ids = new HashSet<Guid>(_toRead);
            var watches = new List<RequestWatch>();
            foreach (var id in _toRead)
            {
                if (_watches.TryGetValue(id, out var watching))
                {
                    watches.AddRange(watching);
                }
            }

            var singleReads = new List<SingleRead>(_singleReads);
            ids.UnionWith(_singleReads.Select(r => r.Id));
            _toRead.Clear();
            _singleReads.Clear();
            return (ids, watches, singleReads);
        }
    }

    private async Task<Dictionary<Guid, RequestStatusDocument>> ReadDocumentsAsync(HashSet<Guid> ids, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.FindStatusDocumentsAsync(ids, cancellationToken)).ToDictionary(d => d.Id);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event streams cannot read the request store; they keep waiting and read again when it is back")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event streams read the request store again after {FailedReads} failed reads")]
    private static partial void LogReadsRecovered(ILogger logger, int failedReads);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading status documents for event streams failed; their streams end so their clients reconnect")]
    private static partial void LogReadBroken(ILogger logger, Exception exception);

    private sealed record SingleRead(Guid Id, TaskCompletionSource<RequestStatusDocument?> Answer);
}

/// <summary>One event stream's interest in a request: the documents read for it, latest first.</summary>
public sealed class RequestWatch(Guid requestId, RequestWatchers watchers) : IDisposable
{
    // A stream that falls behind needs only the newest document: it sends changes, not every read.
    private readonly Channel<RequestStatusDocument?> _reads = Channel.CreateBounded<RequestStatusDocument?>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public Guid RequestId => requestId;

    /// <summary>The next document read for this watch; null when the request is gone.</summary>
    public ValueTask<RequestStatusDocument?> NextReadAsync(CancellationToken cancellationToken) =>
        _reads.Reader.ReadAsync(cancellationToken);

    internal void Offer(RequestStatusDocument? document) => _reads.Writer.TryWrite(document);

    internal void Fail(Exception exception) => _reads.Writer.TryComplete(exception);

    public void Dispose() => watchers.Unwatch(this);
}
