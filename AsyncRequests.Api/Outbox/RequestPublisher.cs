using System.Diagnostics;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Sends a stored request's queue message and clears its outbox mark. A failed send only leaves the
/// mark for the relay; a send whose mark could not be cleared is sent again, which is harmless.
/// </summary>
public sealed partial class RequestPublisher(
    RequestsDbContext db,
    IAmazonSQS sqs,
    QueueTopology topology,
    IOptions<QueueOptions> queueOptions,
    IOptions<OutboxOptions> outboxOptions,
    TimeProvider time,
    ILogger<RequestPublisher> logger)
{
    public async Task<bool> TryPublishAsync(AsyncRequest request, CancellationToken cancellationToken)
    {
        var queueName = queueOptions.Value.QueueName;
        var submittedUnder = MessageTraceContext.FromStored(request.TraceParent, request.TraceState);
        using var activity = RequestTelemetry.StartMessagingActivity("send", "send", ActivityKind.Producer, queueName, submittedUnder, request.Id);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(outboxOptions.Value.SendTimeoutSeconds));
        try
        {
            var urls = await topology.GetUrlsAsync(timeout.Token);
            var message = new SendMessageRequest(urls.Queue, new RequestMessage(request.Id, request.Type).ToJson()) { MessageAttributes = [] };
            MessageTraceContext.Inject(activity?.Context ?? submittedUnder, message.MessageAttributes);
            var sent = await sqs.SendMessageAsync(message, timeout.Token);
            activity?.SetTag(RequestTelemetry.Tags.MessageId, sent.MessageId);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogSendFailed(logger, request.Id, e);
            return false;
        }

        try
        {
            await db.Requests
                .Where(r => r.Id == request.Id && r.PublishedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.PublishedAt, time.GetUtcNow()), CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The request is committed and sent: the answer stays 202 and the relay owns the mark.
            LogMarkNotCleared(logger, request.Id, e);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sent the message for request {RequestId} but could not clear its outbox mark; the relay will send it again")]
    private static partial void LogMarkNotCleared(ILogger logger, Guid requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the message for request {RequestId}; the outbox relay will send it")]
    private static partial void LogSendFailed(ILogger logger, Guid requestId, Exception exception);
}
