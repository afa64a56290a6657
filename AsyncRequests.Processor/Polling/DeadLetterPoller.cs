using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Watches the dead-letter queue. A message lands there after <c>Queue:MaxReceiveCount</c> receives,
/// and not every receive is an attempt: a hand-back on shutdown or a claim that failed spends one
/// without trying. The message's ApproximateReceiveCount, read here, is larger than what workers got:
/// the receive that moved it and every receive from this queue count too, so the setting is what is told. A request with attempts left is re-queued with a fresh message; one whose workers
/// vanished on every attempt must still end, so it is failed with that reason.
/// </summary>
public sealed partial class DeadLetterPoller(
    IAmazonSQS sqs,
    QueueTopology topology,
    DatabaseGate database,
    ReceiveLoopHealthCheck receiveLoops,
    RequestLeases leases,
    DeadLetterRequeue requeue,
    IOptions<ProcessorOptions> options,
    IOptions<QueueOptions> queue,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DeadLetterPoller> logger) : QueuePoller(sqs, topology, database, receiveLoops, lifetime, time, logger)
{
    /// <summary>The longest SQS allows: what is not ours stays in the dead-letter queue for an operator to look at.</summary>
    private static readonly TimeSpan s_keepForOperator = TimeSpan.FromHours(12);

    private static readonly TimeSpan s_lookAgain = TimeSpan.FromSeconds(1);

    protected override string QueueDescription => "dead-letter queue";

    protected override int MaxConcurrency => 2;

    protected override TimeSpan DrainTimeout => TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);

    protected override int WaitTimeSeconds => options.Value.WaitTimeSeconds;

    protected override string QueueUrlOf(QueueUrls urls) => urls.DeadLetterQueue;

    protected override async Task<MessageDisposition> HandleAsync(Message message, string queueUrl, CancellationToken handOver)
    {
        if (RequestMessage.TryParse(message.Body) is not { } parsed)
        {
            LogNotOurs(logger, message.MessageId);
            return MessageDisposition.ShowAgainAfter(s_keepForOperator);
        }

        var request = await leases.FindAsync(parsed.RequestId, handOver);
        switch (request)
        {
            case null:
                LogNotOurs(logger, message.MessageId);
                return MessageDisposition.ShowAgainAfter(s_keepForOperator);
            case { Status: var status } when status.IsTerminal():
                return MessageDisposition.Delete;
            case { Status: RequestStatus.Processing, LeaseExpiresAt: { } until } when until > Time.GetUtcNow():
                // A live worker still has it (only a duplicate was dead-lettered): look again when its lease would lapse.
                return MessageDisposition.ShowAgainAfter(until - Time.GetUtcNow() + TimeSpan.FromSeconds(1));
            case { Attempts: var attempts } when attempts < options.Value.MaxAttempts:
                var detail = $"re-queued: its message was dead-lettered after {queue.Value.MaxReceiveCount} receives (Queue:MaxReceiveCount), with {options.Value.MaxAttempts - attempts} of {options.Value.MaxAttempts} attempts left";
                if (!await requeue.RequeueAsync(request.Id, attempts, detail, CancellationToken.None))
                {
                    // Claimed or finished meanwhile: decide again on what it is now.
                    return MessageDisposition.ShowAgainAfter(s_lookAgain);
                }

                LogRequeued(logger, request.Id, queue.Value.MaxReceiveCount, options.Value.MaxAttempts - attempts);
                return MessageDisposition.Delete;
            default:
                var error = $"Dead-lettered: the message was received {queue.Value.MaxReceiveCount} times (Queue:MaxReceiveCount) without completing (the worker of attempt {request.Attempts} stopped responding).";
                if (await leases.FailAbandonedAsync(request.Id, request.Attempts, error, CancellationToken.None))
                {
                    LogFailedDeadLettered(logger, request.Id);
                    RequestTelemetry.RecordCompleted(request.Type, RequestStatus.Failed, request.Attempts);
                }

                return MessageDisposition.Delete;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} was dead-lettered after {Receives} receives with {AttemptsLeft} attempts left; re-queued with a fresh message")]
    private static partial void LogRequeued(ILogger logger, Guid requestId, int receives, int attemptsLeft);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered message {MessageId} is not for a known request; leaving it in the dead-letter queue")]
    private static partial void LogNotOurs(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} was dead-lettered; it is failed")]
    private static partial void LogFailedDeadLettered(ILogger logger, Guid requestId);
}
