using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Sends stored requests' queue messages with SendMessageBatch and clears the outbox marks of the
/// sent ones in one statement. An entry SQS refuses, or a call that fails, keeps its mark for the
/// relay; a mark that could not be cleared only means the message is sent again, which is harmless.
/// Failed calls are logged at Debug only: the relay's pass and <see cref="RelayHandoffs"/> report them at
/// Warning at most once per interval, so an outage does not log a line per call.
/// </summary>
public sealed partial class RequestPublisher(
    IAmazonSQS sqs,
    QueueTopology topology,
    NpgsqlDataSource dataSource,
    IOptions<QueueOptions> queueOptions,
    IOptions<OutboxOptions> outboxOptions,
    RelayHandoffs handoffs,
    TimeProvider time,
    ILogger<RequestPublisher> logger)
{
    /// <summary>The most entries SQS takes in one SendMessageBatch.</summary>
    public const int MaxEntriesPerCall = 10;

    /// <summary>Sends the messages and clears the marks of those sent; failures are counted and left to the relay.</summary>
    public async Task PublishAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(messages, cancellationToken);
        handoffs.Record(outcome);
        var sent = outcome.Sent;
        if (sent.Count == 0)
        {
            return;
        }

        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await ClearMarksAsync(connection, sent, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            LogMarksNotCleared(logger, sent.Count, e);
        }
    }

    /// <summary>
    /// Sends the messages, ten to a call, all calls at once, each bounded by <c>Outbox:SendTimeoutSeconds</c>;
    /// returns which requests' messages SQS took, and why the others were not sent.
    /// </summary>
    public async Task<SendOutcome> SendAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken) =>
        SendOutcome.Combine(await Task.WhenAll(messages.Chunk(MaxEntriesPerCall).Select(chunk => SendChunkAsync(chunk, cancellationToken))));

    /// <summary>Clears the marks in one statement, on the caller's connection (and so in its transaction, if any).</summary>
    public async Task ClearMarksAsync(NpgsqlConnection connection, IReadOnlyList<Guid> requestIds, CancellationToken cancellationToken)
    {
        // The Processor may be claiming these rows already: lock them in the order it does (RequestRowLocks).
        await using var command = new NpgsqlCommand(
            $"UPDATE requests SET published_at = $2 WHERE id = ANY($1) AND published_at IS NULL AND {RequestRowLocks.LockedInIdOrder}", connection)
        {
            Parameters = { new NpgsqlParameter { Value = requestIds.ToArray() }, new NpgsqlParameter { Value = time.GetUtcNow() } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<SendOutcome> SendChunkAsync(OutboxMessage[] chunk, CancellationToken cancellationToken)
    {
        var queueName = queueOptions.Value.QueueName;

        // One producer span per message, each in the trace of the submit that stored its request.
        var activities = chunk
            .Select(m => RequestTelemetry.StartMessagingActivity(
                "send", "send", ActivityKind.Producer, queueName, MessageTraceContext.FromStored(m.TraceParent, m.TraceState), m.RequestId))
            .ToArray();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(outboxOptions.Value.SendTimeoutSeconds));
        try
        {
            var urls = await topology.GetUrlsAsync(timeout.Token);
            var entries = chunk.Select((message, i) =>
            {
                // On a standard queue the group makes an SQS fair queue: one client's backlog does not hold up the others' messages.
                var entry = new SendMessageBatchRequestEntry(Entry(i), new RequestMessage(message.RequestId, message.Type, message.ClientId).ToJson())
                {
                    MessageGroupId = message.ClientId,
                    MessageAttributes = [],
                };
                MessageTraceContext.Inject(activities[i]?.Context ?? MessageTraceContext.FromStored(message.TraceParent, message.TraceState), entry.MessageAttributes);
                return entry;
            });
            var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(urls.Queue, [.. entries]), timeout.Token);

            foreach (var refused in response.Failed ?? [])
            {
                var i = Index(refused.Id);
                activities[i]?.SetStatus(ActivityStatusCode.Error, refused.Message);
                LogEntryRefused(logger, chunk[i].RequestId, refused.Code, refused.Message);
            }

            var successful = response.Successful ?? [];
            foreach (var accepted in successful)
            {
                activities[Index(accepted.Id)]?.SetTag(RequestTelemetry.Tags.MessageId, accepted.MessageId);
            }

            return new SendOutcome([.. successful.Select(accepted => chunk[Index(accepted.Id)].RequestId)], 0, chunk.Length - successful.Count, 0, null);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            foreach (var activity in activities)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            }

            LogSendFailed(logger, chunk.Length, e);
            return e is OperationCanceledException
                ? new SendOutcome([], chunk.Length, 0, 0, e)
                : new SendOutcome([], 0, 0, chunk.Length, e);
        }
        finally
        {
            foreach (var activity in activities)
            {
                activity?.Dispose();
            }
        }
    }

    private static string Entry(int index) => index.ToString(CultureInfo.InvariantCulture);

    private static int Index(string entryId) => int.Parse(entryId, CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not send {Count} request messages; they keep their outbox mark")]
    private static partial void LogSendFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SQS refused the message for request {RequestId} ({Code}: {Reason}); it keeps its outbox mark")]
    private static partial void LogEntryRefused(ILogger logger, Guid requestId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sent {Count} request messages but could not clear their outbox marks; the relay will send them again")]
    private static partial void LogMarksNotCleared(ILogger logger, int count, Exception exception);
}
