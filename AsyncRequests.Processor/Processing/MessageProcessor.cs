using System.Diagnostics;
using AsyncRequests.Processor.Handlers;
using AsyncRequests.Processor.Polling;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Turns received messages into at most one effect each: claims their requests together, runs each
/// handler while the heartbeat keeps its lease, and records each outcome with a guarded update.
/// </summary>
public sealed partial class MessageProcessor(
    RequestLeases leases,
    RequestClaimer claimer,
    StatusWriter writer,
    RunningRequests runningRequests,
    IServiceScopeFactory scopes,
    IOptions<ProcessorOptions> processorOptions,
    IOptions<QueueOptions> queueOptions,
    TimeProvider time,
    ILogger<MessageProcessor> logger)
{
    private static readonly TimeSpan s_maxRecordBackoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_lookAgainDelay = TimeSpan.FromSeconds(1);

    /// <summary>Claims the requests of <paramref name="messages"/> together (with other callers' claims) and processes each; one task per message.</summary>
    /// <param name="messages">Received messages that may start now.</param>
    /// <param name="handOver">Cancelled when this instance stops and must hand unfinished work back.</param>
    public IReadOnlyList<Task<MessageDisposition>> ProcessAll(IReadOnlyList<InFlightMessage> messages, CancellationToken handOver)
    {
        var requests = messages.Select(m => RequestMessage.TryParse(m.Message.Body)).ToList();
        var owner = Guid.CreateVersion7();

        // One claim per readable message, in order; of two messages of one request only the first can claim it.
        var claims = new Queue<Task<ClaimResult>>(claimer.Claim([.. requests.OfType<RequestMessage>().Select(r => r.RequestId)], owner));
        return [.. messages.Select((message, i) => requests[i] is { } request
            ? ProcessAsync(message, request, claims.Dequeue(), owner, handOver)
            : Unreadable(message))];
    }

    /// <summary>Renews the leases of every running request in one statement (writing their latest progress) and stops those lost to another worker.</summary>
    public async Task RenewLeasesAsync(CancellationToken cancellationToken)
    {
        var running = runningRequests.All;
        if (running.Count == 0)
        {
            return;
        }

        IReadOnlySet<Guid> held;
        try
        {
            held = await leases.RenewAsync([.. running.Select(r => new LeaseKeeping(r.RequestId, r.Owner, r.TakeProgress()))], cancellationToken);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // The messages are still ours: keep them hidden through the blip, and record the outcomes later.
            LogRenewalFailed(logger, running.Count, e);
            return;
        }

        foreach (var lost in running.Where(r => !held.Contains(r.RequestId)))
        {
            await lost.LoseLeaseAsync();
        }
    }

    private Task<MessageDisposition> Unreadable(InFlightMessage message)
    {
        LogUnreadableMessage(logger, message.Message.MessageId);
        return Task.FromResult(MessageDisposition.Delete);
    }

    private async Task<MessageDisposition> ProcessAsync(
        InFlightMessage message, RequestMessage request, Task<ClaimResult> claiming, Guid owner, CancellationToken handOver)
    {
        var producer = MessageTraceContext.Extract(message.Message.MessageAttributes);
        using var activity = RequestTelemetry.StartMessagingActivity(
            "process", "process", ActivityKind.Consumer, queueOptions.Value.QueueName, producer.ActivityContext, request.RequestId);
        activity?.SetTag(RequestTelemetry.Tags.MessageId, message.Message.MessageId);
        RequestTelemetry.RecordQueued(message.Message, request.Type);

        var claim = await claiming;
        switch (claim)
        {
            case ClaimResult.Claimed claimed:
                activity?.SetTag(RequestTelemetry.Tags.Attempt, claimed.Request.Attempts);
                return await RunAsync(claimed.Request, owner, message, activity, handOver);
            case ClaimResult.NotFound:
                LogUnknownRequest(logger, request.RequestId, message.Message.MessageId);
                return MessageDisposition.Delete;
            case ClaimResult.AlreadyFinished finished:
                LogDuplicate(logger, request.RequestId, finished.Status);
                return MessageDisposition.Delete;
            case ClaimResult.HeldElsewhere held:
                // Not ours to delete: if that worker dies, this message is what brings the request back.
                return MessageDisposition.ShowAgainAfter(held.LeaseRemaining + TimeSpan.FromSeconds(1));
            case ClaimResult.LookAgain:
                return MessageDisposition.ShowAgainAfter(s_lookAgainDelay);
            case ClaimResult.AttemptsExhausted exhausted:
                var error = $"The worker of attempt {exhausted.Attempts} of {processorOptions.Value.MaxAttempts} stopped responding; no attempts are left.";
                if (await leases.FailAbandonedAsync(request.RequestId, exhausted.Attempts, error, CancellationToken.None))
                {
                    RequestTelemetry.RecordCompleted(exhausted.Type, RequestStatus.Failed, exhausted.Attempts);
                }

                return MessageDisposition.Delete;
            default:
                throw new InvalidOperationException($"Unexpected claim result {claim}.");
        }
    }

    private async Task<MessageDisposition> RunAsync(AsyncRequest request, Guid owner, InFlightMessage message, Activity? activity, CancellationToken handOver)
    {
        var attempt = request.Attempts;
        Outcome outcome;
        using (var running = runningRequests.Start(request.Id, owner, message, handOver))
        {
            outcome = await RunHandlerAsync(request, running, handOver);
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
        if (!await RecordAsync(outcome.ToRecord(request.Id, owner, attempt)))
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

    private async Task<Outcome> RunHandlerAsync(AsyncRequest request, RunningRequest running, CancellationToken handOver)
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

        var context = new RequestContext(request.Id, request.Attempts, (percent, stage) => ReportProgress(running, percent, stage), time);
        var started = time.GetTimestamp();
        var tags = new TagList { { RequestTelemetry.Tags.RequestType, request.Type } };
        RequestTelemetry.InFlight.Add(1, tags);
        using var handling = RequestTelemetry.ActivitySource.StartActivity($"handle {request.Type}");
        try
        {
            return Outcome.Succeeded(await handler.HandleAsync(request.Input, context, running.Stopping));
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

    private Task ReportProgress(RunningRequest running, int percent, string stage)
    {
        running.ReportProgress(percent, stage);
        writer.ProgressReported();
        return Task.CompletedTask;
    }

    /// <summary>Retries an outcome write while the database is unavailable, for up to half a lease.</summary>
    private async Task<bool> RecordAsync(OutcomeRecord outcome)
    {
        var giveUpAt = time.GetUtcNow() + (leases.LeaseDuration / 2);
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await writer.RecordAsync(outcome);
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && time.GetUtcNow() + backoff < giveUpAt)
            {
                LogRecordRetry(logger, backoff.TotalMilliseconds, e);
                await Task.Delay(backoff, time, CancellationToken.None);
                backoff = TimeSpan.FromTicks(Math.Min(s_maxRecordBackoff.Ticks, backoff.Ticks * 2));
            }
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

        public OutcomeRecord ToRecord(Guid requestId, Guid owner, int attempt) => new(
            requestId,
            owner,
            attempt,
            Status,
            Result,
            Error,
            Detail: this switch
            {
                { Status: RequestStatus.Cancelled } => "cancelled while processing",
                { Status: RequestStatus.Failed } => Error,
                { RetryAfter: { } delay } => $"retry in {delay.TotalSeconds:0.#}s after: {Error}",
                { Status: RequestStatus.Pending } => "released by a stopping worker",
                _ => null,
            },
            ReturnsAttempt: ReferenceEquals(this, HandedBack));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the leases of {Count} running requests")]
    private static partial void LogRenewalFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unavailable; recording the outcome again in {DelayMs} ms")]
    private static partial void LogRecordRetry(ILogger logger, double delayMs, Exception exception);
}
