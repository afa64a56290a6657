using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Watches the dead-letter queue. A message lands there when its request's workers kept vanishing
/// (a crash on every attempt); the request must still end, so it is failed with that reason.
/// </summary>
public sealed partial class DeadLetterPoller(
    IAmazonSQS sqs,
    QueueTopology topology,
    DatabaseGate database,
    ReceiveLoopHealthCheck receiveLoops,
    RequestLeases leases,
    IOptions<ProcessorOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DeadLetterPoller> logger) : QueuePoller(sqs, topology, database, receiveLoops, lifetime, time, logger)
{
    /// <summary>The longest SQS allows: what is not ours stays in the dead-letter queue for an operator to look at.</summary>
    private static readonly TimeSpan s_keepForOperator = TimeSpan.FromHours(12);

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
            default:
                var error = $"Dead-lettered: the message was received {message.Attributes?.GetValueOrDefault("ApproximateReceiveCount") ?? "too many"} times without completing (the worker of attempt {request.Attempts} stopped responding).";
                if (await leases.FailAbandonedAsync(request.Id, request.Attempts, error, CancellationToken.None))
                {
                    LogFailedDeadLettered(logger, request.Id);
                    RequestTelemetry.RecordCompleted(request.Type, RequestStatus.Failed, request.Attempts);
                }

                return MessageDisposition.Delete;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered message {MessageId} is not for a known request; leaving it in the dead-letter queue")]
    private static partial void LogNotOurs(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} was dead-lettered; it is failed")]
    private static partial void LogFailedDeadLettered(ILogger logger, Guid requestId);
}
