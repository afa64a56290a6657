using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Handlers;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Turns one received message into at most one effect: claims the request, runs its handler while a
/// heartbeat keeps both the claim and the message, and records the outcome with a guarded update.
/// </summary>
public sealed partial class MessageProcessor(
    RequestLeases leases,
    IServiceScopeFactory scopes,
    IAmazonSQS sqs,
    IOptions<ProcessorOptions> processorOptions,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<MessageProcessor> logger)
{
    private static readonly JsonSerializerOptions s_resultOptions = new(JsonSerializerDefaults.Web);

    /// <param name="message">The received message.</param>
    /// <param name="queueUrl">Where it came from, for the heartbeat.</param>
    /// <param name="handOver">Cancelled when this instance stops and must hand unfinished work back.</param>
    public async Task<MessageDisposition> ProcessAsync(Message message, string queueUrl, CancellationToken handOver)
    {
        if (RequestMessage.TryParse(message.Body) is not { } request)
        {
            LogUnreadableMessage(logger, message.MessageId);
            return MessageDisposition.Delete;
        }

        var queueName = queueOptions.Value.QueueName;
        var producer = MessageTraceContext.Extract(message.MessageAttributes);
        using var activity = RequestTelemetry.StartMessagingActivity(
            "process", "process", ActivityKind.Consumer, queueName, producer.ActivityContext, request.RequestId);
        activity?.SetTag(RequestTelemetry.Tags.MessageId, message.MessageId);
        RecordQueuedDuration(message, request.Type);

        var owner = Guid.CreateVersion7();
        var claim = await leases.ClaimAsync(request.RequestId, owner, handOver);
        switch (claim)
        {
            case ClaimResult.Claimed claimed:
                activity?.SetTag(RequestTelemetry.Tags.Attempt, claimed.Request.Attempts);
                return await RunAsync(claimed.Request, owner, message, queueUrl, activity, handOver);
            case ClaimResult.NotFound:
                LogUnknownRequest(logger, request.RequestId, message.MessageId);
                return MessageDisposition.Delete;
            case ClaimResult.AlreadyFinished finished:
                LogDuplicate(logger, request.RequestId, finished.Status);
                return MessageDisposition.Delete;
            case ClaimResult.HeldElsewhere held:
                // Not ours to delete: if that worker dies, this message is what brings the request back.
                return MessageDisposition.ShowAgainAfter(held.LeaseRemaining + TimeSpan.FromSeconds(1));
            case ClaimResult.AttemptsExhausted exhausted:
                var error = $"The worker of attempt {exhausted.Request.Attempts} of {processorOptions.Value.MaxAttempts} stopped responding; no attempts are left.";
                if (await leases.FailAbandonedAsync(request.RequestId, error, CancellationToken.None))
                {
                    RecordCompleted(exhausted.Request.Type, RequestStatus.Failed, exhausted.Request.Attempts);
                }

                return MessageDisposition.Delete;
            default:
                throw new InvalidOperationException($"Unexpected claim result {claim}.");
        }
    }

    private async Task<MessageDisposition> RunAsync(
        AsyncRequest request, Guid owner, Message message, string queueUrl, Activity? activity, CancellationToken handOver)
    {
        var attempt = request.Attempts;
        using var handlerStop = CancellationTokenSource.CreateLinkedTokenSource(handOver);
        using var heartbeatStop = new CancellationTokenSource();
        var lease = new LeaseWatch();
        var heartbeat = KeepAliveAsync(request.Id, owner, message.ReceiptHandle, queueUrl, lease, handlerStop, heartbeatStop.Token);

        var outcome = await RunHandlerAsync(request, owner, request.CancelRequested, handlerStop.Token, lease, handOver);
        await heartbeatStop.CancelAsync();
        await heartbeat;

        activity?.SetTag(RequestTelemetry.Tags.Status, outcome.Status.ToWireName());
        if (outcome.Status is RequestStatus.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        // The outcome is recorded even while the instance stops: it is the one thing that must not be lost.
        var recorded = outcome switch
        {
            { Status: RequestStatus.Succeeded } => await leases.SucceedAsync(request.Id, owner, attempt, outcome.Result!, CancellationToken.None),
            { Status: RequestStatus.Cancelled } => await leases.CancelAsync(request.Id, owner, attempt, CancellationToken.None),
            { Status: RequestStatus.Failed } => await leases.FailAsync(request.Id, owner, attempt, outcome.Error!, CancellationToken.None),
            { RetryAfter: { } delay } => await leases.RetryLaterAsync(request.Id, owner, attempt, outcome.Error!, delay, CancellationToken.None),
            _ => await leases.ReleaseAsync(request.Id, owner, attempt, CancellationToken.None),
        };

        if (!recorded)
        {
            // Another worker took the request over after our lease lapsed; its message is the live one.
            LogLeaseLost(logger, request.Id, attempt);
            return MessageDisposition.Leave;
        }

        if (outcome.Status.IsTerminal())
        {
            RecordCompleted(request.Type, outcome.Status, attempt);
            return MessageDisposition.Delete;
        }

        return MessageDisposition.ShowAgainAfter(outcome.RetryAfter ?? TimeSpan.Zero);
    }

    private async Task<Outcome> RunHandlerAsync(
        AsyncRequest request, Guid owner, bool cancelRequested, CancellationToken stop, LeaseWatch lease, CancellationToken handOver)
    {
        if (cancelRequested)
        {
            return Outcome.Cancelled;
        }

        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetKeyedService<IRequestHandler>(request.Type);
        if (handler is null)
        {
            return Outcome.Failed($"No handler serves request type '{request.Type}'.");
        }

        var context = new RequestContext(
            request.Id,
            request.Attempts,
            (percent, stage) => leases.ReportProgressAsync(request.Id, owner, percent, stage, stop),
            time);
        var started = time.GetTimestamp();
        var tags = new TagList { { RequestTelemetry.Tags.RequestType, request.Type } };
        RequestTelemetry.InFlight.Add(1, tags);
        using var handling = RequestTelemetry.ActivitySource.StartActivity($"handle {request.Type}");
        try
        {
            var result = await handler.HandleAsync(request.Input, context, stop);
            return Outcome.Succeeded(JsonSerializer.Serialize(result, result.GetType(), s_resultOptions));
        }
        catch (OperationCanceledException) when (lease.CancelRequested)
        {
            return Outcome.Cancelled;
        }
        catch (OperationCanceledException) when (handOver.IsCancellationRequested || lease.Lost)
        {
            return Outcome.HandedBack;
        }
        catch (Exception e) when (e is TransientRequestException)
        {
            handling?.AddException(e);
            var maxAttempts = processorOptions.Value.MaxAttempts;
            return request.Attempts < maxAttempts
                ? Outcome.Retry(e.Message, RetryBackoff.For(request.Attempts, processorOptions.Value))
                : Outcome.Failed($"Gave up after {request.Attempts} attempts: {e.Message}");
        }
        catch (Exception e)
        {
            handling?.AddException(e);
            LogHandlerFailed(logger, request.Id, request.Type, e);
            return Outcome.Failed(e.Message);
        }
        finally
        {
            RequestTelemetry.InFlight.Add(-1, tags);
            RequestTelemetry.ProcessingDuration.Record(time.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>
    /// Extends the message's visibility and the request's lease until the handler is done, and stops
    /// the handler when the request is cancelled or the lease has been lost to another worker.
    /// </summary>
    private async Task KeepAliveAsync(
        Guid requestId, Guid owner, string receiptHandle, string queueUrl, LeaseWatch lease, CancellationTokenSource handler, CancellationToken stop)
    {
        var visibility = queueOptions.Value.VisibilityTimeoutSeconds;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, visibility / 3.0)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await sqs.ChangeMessageVisibilityAsync(queueUrl, receiptHandle, visibility, stop);
                    var state = await leases.RenewAsync(requestId, owner, stop);
                    if (!state.Held || state.CancelRequested)
                    {
                        lease.Lost = !state.Held;
                        lease.CancelRequested = state.CancelRequested;
                        await handler.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is survivable: the lease and visibility outlast two more.
                    LogHeartbeatFailed(logger, requestId, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static void RecordQueuedDuration(Message message, string type)
    {
        // Only the first delivery measures queueing; later ones include retry delays.
        if (message.Attributes?.GetValueOrDefault("ApproximateReceiveCount") == "1"
            && long.TryParse(message.Attributes.GetValueOrDefault("SentTimestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs))
        {
            var queued = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(sentMs);
            RequestTelemetry.QueuedDuration.Record(Math.Max(0, queued.TotalSeconds), new KeyValuePair<string, object?>(RequestTelemetry.Tags.RequestType, type));
        }
    }

    private static void RecordCompleted(string type, RequestStatus status, int attempts)
    {
        var tags = new TagList { { RequestTelemetry.Tags.RequestType, type }, { RequestTelemetry.Tags.Status, status.ToWireName() } };
        RequestTelemetry.Completed.Add(1, tags);
        RequestTelemetry.Attempts.Record(attempts, tags);
    }

    private sealed class LeaseWatch
    {
        public volatile bool Lost;
        public volatile bool CancelRequested;
    }

    private sealed record Outcome(RequestStatus Status, string? Result = null, string? Error = null, TimeSpan? RetryAfter = null)
    {
        public static Outcome Cancelled { get; } = new(RequestStatus.Cancelled);

        /// <summary>Unfinished: the request goes back to pending for another worker, attempt not counted.</summary>
        public static Outcome HandedBack { get; } = new(RequestStatus.Pending);

        public static Outcome Succeeded(string result) => new(RequestStatus.Succeeded, Result: result);

        public static Outcome Failed(string error) => new(RequestStatus.Failed, Error: error);

        public static Outcome Retry(string error, TimeSpan delay) => new(RequestStatus.Pending, Error: error, RetryAfter: delay);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting message {MessageId}: its body is not a request message")]
    private static partial void LogUnreadableMessage(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting message {MessageId}: request {RequestId} does not exist")]
    private static partial void LogUnknownRequest(ILogger logger, Guid requestId, string messageId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} is already {Status}; deleting the duplicate message")]
    private static partial void LogDuplicate(ILogger logger, Guid requestId, RequestStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease on request {RequestId} during attempt {Attempt}; its new holder finishes it")]
    private static partial void LogLeaseLost(ILogger logger, Guid requestId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Type} handler failed request {RequestId}")]
    private static partial void LogHandlerFailed(ILogger logger, Guid requestId, string type, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat for request {RequestId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Guid requestId, Exception exception);
}
