using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Owns one queue. It finds the queue (waiting out an unreachable SQS), long-polls for full batches into
/// the <see cref="HeldMessages"/> buffer whenever a handler slot would otherwise idle, starts buffered
/// messages together as slots (and their groups' concurrency limits) allow, and settles each as
/// <see cref="HandleAsync"/> decides; the <see cref="MessageHeartbeat"/> keeps what it holds hidden. It
/// stops receiving while the database is unreachable. When the application starts stopping it stops
/// receiving at once, hands back what has not started, lets running handlers finish within the drain
/// timeout, and then hands the rest back.
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
    private static readonly TimeSpan s_retryBase = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _handOver = new();
    private volatile bool _databaseUnavailable;

    protected TimeProvider Time { get; } = time;

    /// <summary>How the queue is named in health reports and logs.</summary>
    protected abstract string QueueDescription { get; }

    protected abstract int MaxConcurrency { get; }

    protected abstract TimeSpan DrainTimeout { get; }

    protected abstract int WaitTimeSeconds { get; }

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

    /// <summary>The groups a message counts against, each capped by <see cref="ConcurrencyLimitOf"/>.</summary>
    protected virtual IReadOnlyList<ConcurrencyGroup> ConcurrencyGroupsOf(Message message) => [];

    protected virtual int ConcurrencyLimitOf(ConcurrencyGroup group) => int.MaxValue;

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
            queueUrl = await FindQueueAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (SqsErrors.IsFatal(e))
        {
            StopLoudly(e);
            return;
        }

        var held = new HeldMessages(MaxConcurrency, ConcurrencyLimitOf, Time);
        var visibility = new MessageVisibility(sqs, queueUrl, logger);
        var deleter = new MessageDeleter(sqs, queueUrl, logger);
        var deleting = deleter.RunAsync();
        var heartbeat = new MessageHeartbeat(held, visibility, KeepAliveAsync, topology.VisibilityTimeout, Time, logger);
        using var heartbeatStop = new CancellationTokenSource();
        var beating = heartbeat.RunAsync(heartbeatStop.Token);
        LogStarted(logger, queueUrl, MaxConcurrency);

        var receiving = ReceiveUntilStoppedAsync(queueUrl, held, visibility, deleter, stopping.Token);
        await WhenCancelledAsync(stopping.Token);
        await DrainAsync(queueUrl, held, visibility);

        // The outstanding long poll is never abandoned (see ReceiveAsync); what it brings goes straight back.
        await receiving;
        await heartbeatStop.CancelAsync();
        await beating;
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

    /// <summary>
    /// The queue's URL, waiting out an SQS that is unreachable or failing with the receive loop's
    /// backoff (and reporting it through the health check) until it answers. Only a fatal error throws.
    /// </summary>
    private async Task<string> FindQueueAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                var queueUrl = QueueUrlOf(await topology.GetUrlsAsync(stopping));
                if (failures > 0)
                {
                    receiveLoops.Recovered(QueueDescription);
                    LogQueueFound(logger, queueUrl, failures);
                }

                return queueUrl;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && SqsErrors.IsTransient(e))
            {
                failures++;
                var delay = FailureBackoff.After(failures, s_retryBase);
                receiveLoops.Failing(QueueDescription, $"SQS did not answer the lookup of the queue {failures} time(s) in a row: {e.Message}");
                LogQueueNotFound(logger, QueueDescription, failures, delay.TotalSeconds, e);
                await Task.Delay(delay, Time, stopping);
            }
        }
    }

    private async Task DrainAsync(string queueUrl, HeldMessages held, MessageVisibility visibility)
    {
        var (unstarted, running) = held.Stop();
        await HandBackAsync(held, visibility, unstarted, TimeSpan.Zero);
        LogDraining(logger, queueUrl, running, DrainTimeout.TotalSeconds);
        if (await Task.WhenAny(held.AllSettled, Task.Delay(DrainTimeout, Time, CancellationToken.None)) != held.AllSettled)
        {
            await _handOver.CancelAsync();
            await held.AllSettled;
        }
    }

    private async Task ReceiveUntilStoppedAsync(
        string queueUrl, HeldMessages held, MessageVisibility visibility, MessageDeleter deleter, CancellationToken stopping)
    {
        var consecutiveFailures = 0;
        while (!stopping.IsCancellationRequested)
        {
            List<Message> messages;
            try
            {
                await held.WaitForIdleSlotAsync(stopping);
                if (_databaseUnavailable)
                {
                    await database.WaitUntilReadyAsync(stopping);
                    _databaseUnavailable = false;
                }

                messages = await ReceiveAsync(queueUrl);
                receiveLoops.ReceiveCompleted(QueueDescription);
                consecutiveFailures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (SqsErrors.IsFatal(e))
            {
                StopLoudly(e);
                return;
            }
            catch (Exception e) when (SqsErrors.IsTransient(e))
            {
                consecutiveFailures++;
                var delay = FailureBackoff.After(consecutiveFailures, s_retryBase);
                receiveLoops.Failing(QueueDescription, $"Receiving failed {consecutiveFailures} time(s) in a row: {e.Message}");
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

            var received = messages.Select(m => new InFlightMessage(m, queueUrl, ConcurrencyGroupsOf(m), Time.GetTimestamp())).ToList();
            if (!held.TryBuffer(received))
            {
                // Received while stopping: straight back rather than start work now.
                await visibility.ChangeAsync(received, TimeSpan.Zero);
                return;
            }

            Dispatch(held, deleter);
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

    /// <summary>Starts, together, every buffered message a free slot and its groups' limits allow.</summary>
    private void Dispatch(HeldMessages held, MessageDeleter deleter)
    {
        var starting = held.TakeStartable();
        if (starting.Count == 0)
        {
            return;
        }

        var handlings = StartAll(starting, _handOver.Token);
        for (var i = 0; i < starting.Count; i++)
        {
            _ = SettleAsync(starting[i], handlings[i], held, deleter);
        }
    }

    private async Task SettleAsync(InFlightMessage message, Task<MessageDisposition> handling, HeldMessages held, MessageDeleter deleter)
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
            held.Settled(message);
            Dispatch(held, deleter);
        }
    }

    /// <summary>Lets go of messages that were not started: visible again after <paramref name="delay"/>, no receive of this instance spent on work.</summary>
    private static async Task HandBackAsync(HeldMessages held, MessageVisibility visibility, List<InFlightMessage> messages, TimeSpan delay)
    {
        if (messages.Count == 0)
        {
            return;
        }

        held.Release(messages);
        await visibility.ChangeAsync(messages, delay);
    }

    private void StopLoudly(Exception e)
    {
        LogFatal(logger, e);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling {QueueUrl} with up to {MaxConcurrency} handlers")]
    private static partial void LogStarted(ILogger logger, string queueUrl, int maxConcurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Finding the {Queue} failed {Failures} time(s) in a row; retrying in {DelaySeconds}s")]
    private static partial void LogQueueNotFound(ILogger logger, string queue, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Found {QueueUrl} after {Failures} failed attempts")]
    private static partial void LogQueueFound(ILogger logger, string queueUrl, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from {QueueUrl} failed {Failures} time(s) in a row; retrying in {DelaySeconds}s")]
    private static partial void LogReceiveFailed(ILogger logger, string queueUrl, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling message {MessageId} failed; it will be delivered again")]
    private static partial void LogMessageFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The queue cannot be used (missing queue or access denied); stopping the Processor")]
    private static partial void LogFatal(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped receiving from {QueueUrl}; draining {Count} running handlers for up to {DrainSeconds}s")]
    private static partial void LogDraining(ILogger logger, string queueUrl, int count, double drainSeconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Shutdown overran the host's shutdown timeout before all work was settled; exiting with code 1")]
    private static partial void LogShutdownOverran(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped polling {QueueUrl}")]
    private static partial void LogStopped(ILogger logger, string queueUrl);
}
