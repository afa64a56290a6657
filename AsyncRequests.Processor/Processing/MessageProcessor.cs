using System.Diagnostics;
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
    RunningRequests runningRequests,
    IServiceScopeFactory scopes,
    IAmazonSQS sqs,
    IOptions<ProcessorOptions> processorOptions,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<MessageProcessor> logger)
{
    private static readonly JsonSerializerOptions s_resultOptions = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan s_maxRecordBackoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_lookAgainDelay = TimeSpan.FromSeconds(1);

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

        var producer = MessageTraceContext.Extract(message.MessageAttributes);
        using var activity = RequestTelemetry.StartMessagingActivity(
            "process", "process", ActivityKind.Consumer, queueOptions.Value.QueueName, producer.ActivityContext, request.RequestId);
        activity?.SetTag(RequestTelemetry.Tags.MessageId, message.MessageId);
        RequestTelemetry.RecordQueued(message, request.Type);

        var owner = Guid.CreateVersion7();
        var claim = (await leases.ClaimAsync([request.RequestId], owner, handOver))[request.RequestId];
        switch (claim)
        {
            case ClaimResult.Claimed claimed:
                activity?.SetTag(RequestTelemetry.Tags.Attempt, claimed.Request.Attempts);
                return await RunAsync(claimed.Request, owner, message.ReceiptHandle, queueUrl, activity, handOver);
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
                var error = $"The worker of attempt {exhausted.Attempts} of {processorOptions.Value.MaxAttempts} stopped responding; no attempts are left.";
                if (await leases.FailAbandonedAsync(request.RequestId, exhausted.Attempts, error, CancellationToken.None))
                {
                    RequestTelemetry.RecordCompleted(exhausted.Type, RequestStatus.Failed, exhausted.Attempts);
                }

                return MessageDisposition.Delete;
            case ClaimResult.LookAgain:
                return MessageDisposition.ShowAgainAfter(s_lookAgainDelay);
            default:
                throw new InvalidOperationException($"Unexpected claim result {claim}.");
        }
    }

    private async Task<MessageDisposition> RunAsync(
        AsyncRequest request, Guid owner, string receiptHandle, string queueUrl, Activity? activity, CancellationToken handOver)
    {
        var attempt = request.Attempts;
        Outcome outcome;
        using (var running = runningRequests.Start(request.Id, handOver))
        {
            using var heartbeatStop = new CancellationTokenSource();
            var heartbeat = KeepAliveAsync(request.Id, owner, receiptHandle, queueUrl, running, heartbeatStop.Token);
            outcome = await RunHandlerAsync(request, owner, running, handOver);
            await heartbeatStop.CancelAsync();
            await heartbeat;
            if (running.LeaseLost)
            {
                LogLeaseLost(logger, request.Id, attempt);
                return MessageDisposition.Leave;
            }
        }

        activity?.SetTag(RequestTelemetry.Tags.Status, outcome.Status.ToWireName());
        if (outcome.Status is RequestStatus.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        // Recorded even while the instance stops, and through a short database outage: the outcome
        // is the one thing that must not be lost.
        var detail = outcome switch
        {
            { Status: RequestStatus.Cancelled } => "cancelled while processing",
            { Status: RequestStatus.Failed } => outcome.Error,
            { RetryAfter: { } delay } => $"retry in {delay.TotalSeconds:0.#}s after: {outcome.Error}",
            { Status: RequestStatus.Pending } => "released by a stopping worker",
            _ => null,
        };
        var record = new OutcomeRecord(
            request.Id, owner, attempt, outcome.Status, outcome.Result, outcome.Error, detail, ReturnsAttempt: outcome == Outcome.HandedBack);
        var recorded = await RecordAsync(async () => (await leases.RecordAsync([record], CancellationToken.None)).Contains(request.Id));

        if (!recorded)
        {
            // Another worker took the request over after our lease lapsed; its message is the live one.
            LogLeaseLost(logger, request.Id, attempt);
            return MessageDisposition.Leave;
        }

        if (outcome.Status.IsTerminal())
        {
            RequestTelemetry.RecordCompleted(request.Type, outcome.Status, attempt);
            return MessageDisposition.Delete;
        }

        return MessageDisposition.ShowAgainAfter(outcome.RetryAfter ?? TimeSpan.Zero);
    }

    private async Task<Outcome> RunHandlerAsync(AsyncRequest request, Guid owner, RunningRequest running, CancellationToken handOver)
    {
        if (request.CancelRequested)
        {
            return Outcome.Cancelled;
        }

        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetKeyedService<IRequestHandler>(request.Type);
        if (handler is null)
        {
            return Outcome.Failed($"No handler serves request type '{request.Type}'.");
        }

        var context = new RequestContext(request.Id, request.Attempts, (percent, stage) => ReportProgressAsync(request.Id, owner, percent, stage, running.Stopping), time);
        var started = time.GetTimestamp();
        var tags = new TagList { { RequestTelemetry.Tags.RequestType, request.Type } };
        RequestTelemetry.InFlight.Add(1, tags);
        using var handling = RequestTelemetry.ActivitySource.StartActivity($"handle {request.Type}");
        try
        {
            var result = await handler.HandleAsync(request.Input, context, running.Stopping);
            return Outcome.Succeeded(JsonSerializer.Serialize(result, result.GetType(), s_resultOptions));
        }
        catch (OperationCanceledException) when (running.CancelRequested)
        {
            return Outcome.Cancelled;
        }
        catch (OperationCanceledException) when (handOver.IsCancellationRequested || running.LeaseLost)
        {
            return Outcome.HandedBack;
        }
        catch (TransientRequestException e)
        {
            handling?.AddException(e);
            return request.Attempts < processorOptions.Value.MaxAttempts
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

    /// <summary>Progress is informative: losing an update to a database hiccup must not fail the work.</summary>
    private async Task ReportProgressAsync(Guid requestId, Guid owner, int percent, string stage, CancellationToken stopping)
    {
        try
        {
            await leases.WriteProgressAsync([new LeaseKeeping(requestId, owner, new Progress(percent, stage))], stopping);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            LogProgressLost(logger, requestId, e);
        }
    }

    /// <summary>Retries an outcome write while the database is unavailable, for up to half a lease.</summary>
    private async Task<bool> RecordAsync(Func<Task<bool>> record)
    {
        var giveUpAt = time.GetUtcNow() + (leases.LeaseDuration / 2);
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await record();
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && time.GetUtcNow() + backoff < giveUpAt)
            {
                LogRecordRetry(logger, backoff.TotalMilliseconds, e);
                await Task.Delay(backoff, time, CancellationToken.None);
                backoff = TimeSpan.FromTicks(Math.Min(s_maxRecordBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Extends the request's lease and the message's visibility until the handler is done (lease first,
    /// so it never outlives a message that reappears), and stops the handler when the lease has been
    /// lost to another worker. Cancellations are the <see cref="CancellationWatcher"/>'s.
    /// </summary>
    private async Task KeepAliveAsync(Guid requestId, Guid owner, string receiptHandle, string queueUrl, RunningRequest running, CancellationToken stop)
    {
        var visibility = queueOptions.Value.VisibilityTimeoutSeconds;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, visibility / 3.0)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    if ((await leases.RenewAsync([new LeaseKeeping(requestId, owner, null)], stop)).Count == 0)
                    {
                        await running.StopAsync(leaseLost: true);
                        return;
                    }
                }
                catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
                {
                    // The message is still ours: keep it hidden through the blip, and record the outcome later.
                    LogHeartbeatFailed(logger, requestId, e);
                }

                try
                {
                    await sqs.ChangeMessageVisibilityAsync(queueUrl, receiptHandle, visibility, stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is survivable: the visibility outlasts two more.
                    LogHeartbeatFailed(logger, requestId, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record progress of request {RequestId}")]
    private static partial void LogProgressLost(ILogger logger, Guid requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unavailable; recording the outcome again in {DelayMs} ms")]
    private static partial void LogRecordRetry(ILogger logger, double delayMs, Exception exception);
}
