using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Owns one queue: long-polls it for no more messages than there are free handler slots, hands each
/// to <see cref="HandleAsync"/>, and acts on what that decides. It stops receiving while the
/// database is unreachable, and on shutdown stops receiving, lets running handlers finish within
/// the drain timeout, then hands the rest back.
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
    private static readonly TimeSpan s_maxReceiveBackoff = TimeSpan.FromSeconds(30);
    private volatile bool _databaseUnavailable;

    protected TimeProvider Time { get; } = time;

    protected abstract int MaxConcurrency { get; }

    protected abstract TimeSpan DrainTimeout { get; }

    protected abstract int WaitTimeSeconds { get; }

    protected abstract string QueueUrlOf(QueueUrls urls);

    /// <param name="message">The received message.</param>
    /// <param name="queueUrl">The queue it came from.</param>
    /// <param name="handOver">Cancelled when this instance stops and must hand unfinished work back.</param>
    protected abstract Task<MessageDisposition> HandleAsync(Message message, string queueUrl, CancellationToken handOver);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Receives, deletes and hand-backs stay out of tracing; processing a message continues its request's trace.
        using var untraced = BackgroundTracing.Suppress();
        string queueUrl;
        try
        {
            await database.WaitUntilReadyAsync(stoppingToken);
            queueUrl = QueueUrlOf(await topology.GetUrlsAsync(stoppingToken));
        }
        catch (Exception e) when (IsFatal(e))
        {
            StopLoudly(e);
            return;
        }

        var deleter = new MessageDeleter(sqs, queueUrl, logger);
        var deleting = deleter.RunAsync();
        using var handOver = new CancellationTokenSource();
        var slots = new SemaphoreSlim(MaxConcurrency, MaxConcurrency);
        var running = new ConcurrentDictionary<Task, byte>();
        long stopRequestedAt = 0;
        using var stopping = stoppingToken.Register(() => stopRequestedAt = Time.GetTimestamp());
        LogStarted(logger, queueUrl, MaxConcurrency);

        await ReceiveUntilStoppedAsync(queueUrl, slots, running, deleter, handOver.Token, stoppingToken);

        LogDraining(logger, queueUrl, running.Count, DrainTimeout.TotalSeconds);
        var all = Task.WhenAll(running.Keys);
        var drainLeft = DrainTimeout - Time.GetElapsedTime(stopRequestedAt);
        if (drainLeft <= TimeSpan.Zero || await Task.WhenAny(all, Task.Delay(drainLeft, Time, CancellationToken.None)) != all)
        {
            await handOver.CancelAsync();
            await all;
        }

        deleter.Complete();
        await deleting;
        LogStopped(logger, queueUrl);
    }

    private async Task ReceiveUntilStoppedAsync(
        string queueUrl,
        SemaphoreSlim slots,
        ConcurrentDictionary<Task, byte> running,
        MessageDeleter deleter,
        CancellationToken handOver,
        CancellationToken stoppingToken)
    {
        var consecutiveFailures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wanted = await TakeFreeSlotsAsync(slots, stoppingToken);
            if (wanted == 0)
            {
                return;
            }

            List<Message> messages;
            try
            {
                if (_databaseUnavailable)
                {
                    await database.WaitUntilReadyAsync(stoppingToken);
                    _databaseUnavailable = false;
                }

                // Never cancelled: a long poll abandoned by its client still takes messages on the server,
                // hiding them for a whole visibility timeout. On shutdown the last receive runs out instead.
                var response = await sqs.ReceiveMessageAsync(
                    new ReceiveMessageRequest
                    {
                        QueueUrl = queueUrl,
                        MaxNumberOfMessages = wanted,
                        WaitTimeSeconds = WaitTimeSeconds,
                        MessageAttributeNames = ["All"],
                        MessageSystemAttributeNames = ["SentTimestamp", "ApproximateReceiveCount"],
                    },
                    CancellationToken.None);
                messages = response.Messages ?? [];
                receiveLoops.ReceiveCompleted(queueUrl);
                consecutiveFailures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                slots.Release(wanted);
                return;
            }
            catch (Exception e) when (IsFatal(e))
            {
                slots.Release(wanted);
                StopLoudly(e);
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                slots.Release(wanted);
                consecutiveFailures++;
                var delay = TimeSpan.FromSeconds(Math.Min(s_maxReceiveBackoff.TotalSeconds, Math.Pow(2, consecutiveFailures - 1)));
                LogReceiveFailed(logger, queueUrl, consecutiveFailures, delay.TotalSeconds, e);
                try
                {
                    await Task.Delay(delay, Time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                // Received while stopping: hand them straight back rather than start work now.
                slots.Release(wanted);
                await Task.WhenAll(messages.Select(m => HandBackUnstartedAsync(queueUrl, m)));
                return;
            }

            if (wanted > messages.Count)
            {
                slots.Release(wanted - messages.Count);
            }

            foreach (var message in messages)
            {
                var handling = HandleAndSettleAsync(message, queueUrl, slots, deleter, handOver);
                running.TryAdd(handling, 0);
                _ = handling.ContinueWith(t => running.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
    }

    /// <summary>Waits for one free slot, then takes as many more as are free, up to one receive's worth.</summary>
    private static async Task<int> TakeFreeSlotsAsync(SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await slots.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        var taken = 1;
        while (taken < MaxMessagesPerReceive && slots.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    private async Task HandleAndSettleAsync(Message message, string queueUrl, SemaphoreSlim slots, MessageDeleter deleter, CancellationToken handOver)
    {
        try
        {
            // Off the receive loop at once, so one slow claim never delays the next receive.
            await Task.Yield();
            switch (await HandleAsync(message, queueUrl, handOver))
            {
                case MessageDisposition.DeleteMessage:
                    deleter.Enqueue(message.ReceiptHandle);
                    break;
                case MessageDisposition.ChangeVisibility change:
                    await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, (int)Math.Ceiling(change.Delay.TotalSeconds), CancellationToken.None);
                    break;
            }
        }
        catch (Exception e)
        {
            // The message stays; its visibility timeout brings it back to this or another worker.
            _databaseUnavailable |= DatabaseErrors.IsUnavailable(e);
            LogMessageFailed(logger, message.MessageId, e);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task HandBackUnstartedAsync(string queueUrl, Message message)
    {
        try
        {
            await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, 0, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            LogMessageFailed(logger, message.MessageId, e);
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

    [LoggerMessage(Level = LogLevel.Critical, Message = "The queue cannot be used (missing queue or access denied); stopping the Processor")]
    private static partial void LogFatal(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped receiving from {QueueUrl}; draining {Count} running handlers for up to {DrainSeconds}s")]
    private static partial void LogDraining(ILogger logger, string queueUrl, int count, double drainSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped polling {QueueUrl}")]
    private static partial void LogStopped(ILogger logger, string queueUrl);
}
