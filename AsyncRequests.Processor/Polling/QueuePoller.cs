using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Owns the request queue: long-polls it for no more messages than there are free handler slots,
/// hands each to the <see cref="MessageProcessor"/>, and acts on what it decides. On shutdown it
/// stops receiving, lets running handlers finish within the drain timeout, then hands the rest back.
/// </summary>
public sealed partial class RequestPoller(
    IAmazonSQS sqs,
    QueueTopology topology,
    SchemaGate schema,
    MessageProcessor processor,
    IOptions<ProcessorOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<RequestPoller> logger) : BackgroundService
{
    private const int MaxMessagesPerReceive = 10;
    private static readonly TimeSpan s_maxReceiveBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string queueUrl;
        try
        {
            await schema.WaitUntilReadyAsync(stoppingToken);
            queueUrl = (await topology.GetUrlsAsync(stoppingToken)).Queue;
        }
        catch (Exception e) when (IsFatal(e))
        {
            StopLoudly(e);
            return;
        }

        var settings = options.Value;
        var deleter = new MessageDeleter(sqs, queueUrl, logger);
        var deleting = deleter.RunAsync();
        using var handOver = new CancellationTokenSource();
        var slots = new SemaphoreSlim(settings.MaxConcurrency, settings.MaxConcurrency);
        var running = new ConcurrentDictionary<Task, byte>();
        LogStarted(logger, queueUrl, settings.MaxConcurrency);

        await ReceiveUntilStoppedAsync(queueUrl, slots, running, deleter, handOver.Token, stoppingToken);

        LogDraining(logger, running.Count, settings.DrainTimeoutSeconds);
        var all = Task.WhenAll(running.Keys);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(settings.DrainTimeoutSeconds), time, CancellationToken.None)) != all)
        {
            await handOver.CancelAsync();
            await all;
        }

        deleter.Complete();
        await deleting;
        LogStopped(logger);
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
                var response = await sqs.ReceiveMessageAsync(
                    new ReceiveMessageRequest
                    {
                        QueueUrl = queueUrl,
                        MaxNumberOfMessages = wanted,
                        WaitTimeSeconds = options.Value.WaitTimeSeconds,
                        MessageAttributeNames = ["All"],
                        MessageSystemAttributeNames = ["SentTimestamp", "ApproximateReceiveCount"],
                    },
                    stoppingToken);
                messages = response.Messages ?? [];
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
                LogReceiveFailed(logger, consecutiveFailures, delay.TotalSeconds, e);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (wanted > messages.Count)
            {
                slots.Release(wanted - messages.Count);
            }

            foreach (var message in messages)
            {
                var handling = HandleAsync(message, queueUrl, slots, deleter, handOver);
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

    private async Task HandleAsync(Message message, string queueUrl, SemaphoreSlim slots, MessageDeleter deleter, CancellationToken handOver)
    {
        try
        {
            // Off the receive loop at once, so one slow claim never delays the next receive.
            await Task.Yield();
            switch (await processor.ProcessAsync(message, queueUrl, handOver))
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
            LogMessageFailed(logger, message.MessageId, e);
        }
        finally
        {
            slots.Release();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receive failed {Failures} time(s) in a row; retrying in {DelaySeconds}s")]
    private static partial void LogReceiveFailed(ILogger logger, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling message {MessageId} failed; it will be delivered again")]
    private static partial void LogMessageFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The request queue cannot be used (missing queue or access denied); stopping the Processor")]
    private static partial void LogFatal(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped receiving; draining {Count} running handlers for up to {DrainSeconds}s")]
    private static partial void LogDraining(ILogger logger, int count, int drainSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processor stopped")]
    private static partial void LogStopped(ILogger logger);
}
