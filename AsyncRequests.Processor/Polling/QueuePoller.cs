using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Owns one queue. It long-polls for full batches into a small local buffer whenever a handler slot
/// would otherwise idle, starts buffered messages together as slots (and their group's concurrency
/// limit) allow, and settles each as <see cref="HandleAsync"/> decides. One heartbeat keeps every
/// message it holds hidden. It stops receiving while the database is unreachable. When the
/// application starts stopping it stops receiving at once, hands back what has not started, lets
/// running handlers finish within the drain timeout, and then hands the rest back.
/// </summary>
public abstract partial class QueuePoller(
    IAmazonSQS sqs,
    QueueTopology topology,
    DatabaseGate database,
    ReceiveLoopHealthCheck receiveLoops,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger logger) : BackgroundService
{
    private const int MaxMessagesPerReceive = 10;
    // Doubled per failure in a row: 1 s after the first, up to FailureBackoff.Max.
    private static readonly TimeSpan s_receiveRetryBase = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private readonly List<InFlightMessage> _buffer = [];
    private readonly Dictionary<string, int> _runningPerGroup = [];
    private readonly HashSet<InFlightMessage> _held = [];
    private readonly Channel<bool> _slotFreed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _allSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _handOver = new();
    private int _running;
    private bool _stopping;
    private volatile bool _databaseUnavailable;

    protected TimeProvider Time { get; } = time;

    protected abstract int MaxConcurrency { get; }

    protected abstract TimeSpan DrainTimeout { get; }

    protected abstract int WaitTimeSeconds { get; }

    private TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(Math.Max(1, topology.VisibilityTimeout.TotalSeconds / 3));

    /// <summary>Buffered messages beyond this many (those held back by a concurrency limit) go back to the queue for a while.</summary>
    private int BufferCapacity => MaxConcurrency + MaxMessagesPerReceive;

    protected abstract string QueueUrlOf(QueueUrls urls);

    /// <summary>Handles one message; a poller that starts messages together overrides <see cref="StartAll"/> instead.</summary>
    /// <param name="message">The received message.</param>
    /// <param name="queueUrl">The queue it came from.</param>
    /// <param name="handOver">Cancelled when this instance stops and must hand unfinished work back.</param>
    protected virtual Task<MessageDisposition> HandleAsync(Message message, string queueUrl, CancellationToken handOver) =>
        throw new NotSupportedException($"{GetType().Name} overrides neither {nameof(HandleAsync)} nor {nameof(StartAll)}.");

    /// <summary>Starts messages that can run now, together (so they can share a database round trip); one task per message.</summary>
    protected virtual IReadOnlyList<Task<MessageDisposition>> StartAll(IReadOnlyList<InFlightMessage> messages, CancellationToken handOver) =>
        [.. messages.Select(m => HandleAsync(m.Message, m.QueueUrl, handOver))];

    /// <summary>Runs on every heartbeat before visibilities are extended; may <see cref="InFlightMessage.Abandon"/> messages.</summary>
    protected virtual Task KeepAliveAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The group a message counts against for <see cref="ConcurrencyLimitOf"/>, if any.</summary>
    protected virtual string? ConcurrencyGroupOf(Message message) => null;

    protected virtual int ConcurrencyLimitOf(string group) => int.MaxValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Receives, deletes and hand-backs stay out of tracing; processing a message continues its request's trace.
        using var untraced = BackgroundTracing.Suppress();
        // The host stops its services one after another; every poller stops receiving as soon as the
        // application starts stopping instead, so that all drains run at once.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        string queueUrl;
        try
        {
            await database.WaitUntilReadyAsync(stopping.Token);
            queueUrl = QueueUrlOf(await topology.GetUrlsAsync(stopping.Token));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (IsFatal(e))
        {
            StopLoudly(e);
            return;
        }

        var deleter = new MessageDeleter(sqs, queueUrl, logger);
        var deleting = deleter.RunAsync();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(queueUrl, heartbeatStop.Token);
        LogStarted(logger, queueUrl, MaxConcurrency);

        var receiving = ReceiveUntilStoppedAsync(queueUrl, deleter, stopping.Token);
        await WhenCancelledAsync(stopping.Token);
        await DrainAsync(queueUrl);

        // The outstanding long poll is never abandoned (see ReceiveAsync); what it brings goes straight back.
        await receiving;
        await heartbeatStop.CancelAsync();
        await heartbeat;
        deleter.Complete();
        await deleting;
        LogStopped(logger, queueUrl);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (ExecuteTask is { IsCompleted: false })
        {
            // The host's shutdown timeout cut the drain off: what was not handed back waits out its visibility timeout.
            LogShutdownOverran(logger);
            if (Environment.ExitCode == 0)
            {
                Environment.ExitCode = 1;
            }
        }
    }

    public override void Dispose()
    {
        _handOver.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    private static Task WhenCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }

    private async Task DrainAsync(string queueUrl)
    {
        List<InFlightMessage> unstarted;
        int running;
        lock (_gate)
        {
            _stopping = true;
            unstarted = [.. _buffer];
            _buffer.Clear();
            running = _running;
            if (_running == 0)
            {
                _allSettled.TrySetResult();
            }
        }

        await HandBackAsync(queueUrl, unstarted, TimeSpan.Zero);
        LogDraining(logger, queueUrl, running, DrainTimeout.TotalSeconds);
        if (await Task.WhenAny(_allSettled.Task, Task.Delay(DrainTimeout, Time, CancellationToken.None)) != _allSettled.Task)
        {
            await _handOver.CancelAsync();
            await _allSettled.Task;
        }
    }

    private async Task ReceiveUntilStoppedAsync(string queueUrl, MessageDeleter deleter, CancellationToken stopping)
    {
        var consecutiveFailures = 0;
        while (!stopping.IsCancellationRequested)
        {
            List<Message> messages;
            try
            {
                await WaitForIdleSlotAsync(stopping);
                if (_databaseUnavailable)
                {
                    await database.WaitUntilReadyAsync(stopping);
                    _databaseUnavailable = false;
                }

                messages = await ReceiveAsync(queueUrl);
                receiveLoops.ReceiveCompleted(queueUrl);
                consecutiveFailures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsFatal(e))
            {
                StopLoudly(e);
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                consecutiveFailures++;
                var delay = FailureBackoff.After(consecutiveFailures, s_receiveRetryBase);
                LogReceiveFailed(logger, queueUrl, consecutiveFailures, delay.TotalSeconds, e);
                try
                {
                    await Task.Delay(delay, Time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var received = messages.Select(m => new InFlightMessage(m, queueUrl, ConcurrencyGroupOf(m), Time.GetTimestamp())).ToList();
            List<InFlightMessage> overflow;
            lock (_gate)
            {
                if (_stopping)
                {
                    overflow = received;
                }
                else
                {
                    _held.UnionWith(received);
                    _buffer.AddRange(received);
                    overflow = [];
                }
            }

            if (overflow.Count > 0)
            {
                // Received while stopping: straight back rather than start work now.
                await HandBackAsync(queueUrl, overflow, TimeSpan.Zero);
                return;
            }

            Dispatch(deleter);
            await HandBackAsync(queueUrl, TakeOverflow(), HeartbeatInterval);
        }
    }

    /// <summary>
    /// A full batch, never cancelled: a long poll abandoned by its client still takes messages on the
    /// server, hiding them for a whole visibility timeout. On shutdown the last receive runs out instead.
    /// </summary>
    private async Task<List<Message>> ReceiveAsync(string queueUrl)
    {
        var response = await sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = MaxMessagesPerReceive,
                WaitTimeSeconds = WaitTimeSeconds,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["SentTimestamp", "ApproximateReceiveCount"],
            },
            CancellationToken.None);
        return response.Messages ?? [];
    }

    /// <summary>Waits until a handler slot is free that no buffered message will take: only then is a receive worth its wait.</summary>
    private async Task WaitForIdleSlotAsync(CancellationToken stopping)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_buffer.Count(CanStart) < MaxConcurrency - _running)
                {
                    return;
                }
            }

            await _slotFreed.Reader.ReadAsync(stopping);
        }
    }

    private bool CanStart(InFlightMessage message) =>
        message.ConcurrencyGroup is not { } group || _runningPerGroup.GetValueOrDefault(group) < ConcurrencyLimitOf(group);

    /// <summary>Starts, together, every buffered message a free slot and its group's limit allow, oldest first.</summary>
    private void Dispatch(MessageDeleter deleter)
    {
        var starting = new List<InFlightMessage>();
        lock (_gate)
        {
            for (var i = 0; i < _buffer.Count && _running < MaxConcurrency && !_stopping;)
            {
                var message = _buffer[i];
                if (!CanStart(message))
                {
                    i++;
                    continue;
                }

                _buffer.RemoveAt(i);
                _running++;
                if (message.ConcurrencyGroup is { } group)
                {
                    _runningPerGroup[group] = _runningPerGroup.GetValueOrDefault(group) + 1;
                }

                starting.Add(message);
            }
        }

        if (starting.Count == 0)
        {
            return;
        }

        var handlings = StartAll(starting, _handOver.Token);
        for (var i = 0; i < starting.Count; i++)
        {
            _ = SettleAsync(starting[i], handlings[i], deleter);
        }
    }

    private async Task SettleAsync(InFlightMessage message, Task<MessageDisposition> handling, MessageDeleter deleter)
    {
        try
        {
            switch (await handling)
            {
                case MessageDisposition.DeleteMessage:
                    deleter.Enqueue(message.Message.ReceiptHandle);
                    break;
                case MessageDisposition.ChangeVisibility change:
                    await sqs.ChangeMessageVisibilityAsync(message.QueueUrl, message.Message.ReceiptHandle, (int)Math.Ceiling(change.Delay.TotalSeconds), CancellationToken.None);
                    break;
            }
        }
        catch (Exception e)
        {
            // The message stays; its visibility timeout brings it back to this or another worker.
            _databaseUnavailable |= DatabaseErrors.IsUnavailable(e);
            LogMessageFailed(logger, message.Message.MessageId, e);
        }
        finally
        {
            lock (_gate)
            {
                _held.Remove(message);
                _running--;
                if (message.ConcurrencyGroup is { } group)
                {
                    _runningPerGroup[group]--;
                }

                if (_stopping && _running == 0)
                {
                    _allSettled.TrySetResult();
                }
            }

            _slotFreed.Writer.TryWrite(true);
            Dispatch(deleter);
        }
    }

    /// <summary>Keeps every held message hidden (after <see cref="KeepAliveAsync"/>, so a lease never outlives its message), and lets go of messages that waited too long.</summary>
    private async Task HeartbeatAsync(string queueUrl, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await KeepAliveAsync(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is survivable: the visibility outlasts two more.
                    LogHeartbeatFailed(logger, queueUrl, e);
                }

                await HandBackAsync(queueUrl, TakeStale(), TimeSpan.Zero);
                List<InFlightMessage> held;
                lock (_gate)
                {
                    held = [.. _held.Where(m => !m.Abandoned)];
                }

                await ChangeVisibilityAsync(queueUrl, held, topology.VisibilityTimeout);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Buffered messages that could run but found no free slot for a whole visibility timeout: another instance may have one.</summary>
    private List<InFlightMessage> TakeStale()
    {
        lock (_gate)
        {
            var stale = _buffer.Where(m => CanStart(m) && Time.GetElapsedTime(m.ReceivedAt) > topology.VisibilityTimeout).ToList();
            _buffer.RemoveAll(stale.Contains);
            return stale;
        }
    }

    /// <summary>The newest buffered messages beyond the buffer's capacity (held back by a concurrency limit).</summary>
    private List<InFlightMessage> TakeOverflow()
    {
        lock (_gate)
        {
            if (_buffer.Count <= BufferCapacity)
            {
                return [];
            }

            var overflow = _buffer[BufferCapacity..];
            _buffer.RemoveRange(BufferCapacity, overflow.Count);
            return overflow;
        }
    }

    /// <summary>Lets go of messages that were not started: visible again after <paramref name="delay"/>, no receive of this instance spent on work.</summary>
    private async Task HandBackAsync(string queueUrl, List<InFlightMessage> messages, TimeSpan delay)
    {
        if (messages.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            _held.ExceptWith(messages);
        }

        await ChangeVisibilityAsync(queueUrl, messages, delay);
    }

    private async Task ChangeVisibilityAsync(string queueUrl, List<InFlightMessage> messages, TimeSpan visibility)
    {
        foreach (var chunk in messages.Chunk(MaxMessagesPerReceive))
        {
            var entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
            {
                Id = i.ToString(CultureInfo.InvariantCulture),
                ReceiptHandle = m.Message.ReceiptHandle,
                VisibilityTimeout = (int)Math.Ceiling(visibility.TotalSeconds),
            }).ToList();
            try
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(queueUrl, entries, CancellationToken.None);
                foreach (var failed in response.Failed ?? [])
                {
                    LogVisibilityFailed(logger, chunk[int.Parse(failed.Id, CultureInfo.InvariantCulture)].Message.MessageId, failed.Code, failed.Message);
                }
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                LogVisibilityBatchFailed(logger, chunk.Length, e);
            }
        }
    }

    /// <summary>Errors no retry can fix: a missing queue or missing permissions.</summary>
    private static bool IsFatal(Exception e) =>
        e is QueueDoesNotExistException
        || (e is AmazonServiceException service && (service.StatusCode == HttpStatusCode.Forbidden || service.ErrorCode is "AccessDenied" or "AccessDeniedException"));

    private void StopLoudly(Exception e)
    {
        LogFatal(logger, e);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling {QueueUrl} with up to {MaxConcurrency} handlers")]
    private static partial void LogStarted(ILogger logger, string queueUrl, int maxConcurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from {QueueUrl} failed {Failures} time(s) in a row; retrying in {DelaySeconds}s")]
    private static partial void LogReceiveFailed(ILogger logger, string queueUrl, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling message {MessageId} failed; it will be delivered again")]
    private static partial void LogMessageFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat for the messages of {QueueUrl} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, string queueUrl, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the visibility of message {MessageId} ({Code}: {Reason})")]
    private static partial void LogVisibilityFailed(ILogger logger, string messageId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the visibility of {Count} messages")]
    private static partial void LogVisibilityBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The queue cannot be used (missing queue or access denied); stopping the Processor")]
    private static partial void LogFatal(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped receiving from {QueueUrl}; draining {Count} running handlers for up to {DrainSeconds}s")]
    private static partial void LogDraining(ILogger logger, string queueUrl, int count, double drainSeconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Shutdown overran the host's shutdown timeout before all work was settled; exiting with code 1")]
    private static partial void LogShutdownOverran(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped polling {QueueUrl}")]
    private static partial void LogStopped(ILogger logger, string queueUrl);
}
