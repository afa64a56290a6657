using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace AsyncRequests.Processor.Polling;

/// <summary>Changes the visibility of held messages on one queue, ten to a call: to keep them hidden, or to let them go.</summary>
internal sealed partial class MessageVisibility(IAmazonSQS sqs, string queueUrl, ILogger logger)
{
    private const int MaxBatch = 10;

    /// <summary>Never throws: a change that fails leaves the message to its current visibility timeout.</summary>
    public async Task ChangeAsync(IReadOnlyList<InFlightMessage> messages, TimeSpan visibility)
    {
        foreach (var chunk in messages.Chunk(MaxBatch))
        {
            var entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
            {
                Id = i.ToString(CultureInfo.InvariantCulture),
                ReceiptHandle = m.Message.ReceiptHandle,
                VisibilityTimeout = (int)Math.Ceiling(visibility.TotalSeconds),
            }).ToList();
            try
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(queueUrl, entries, CancellationToken.None);
                foreach (var failed in response.Failed ?? [])
                {
                    LogVisibilityFailed(logger, chunk[int.Parse(failed.Id, CultureInfo.InvariantCulture)].Message.MessageId, failed.Code, failed.Message);
                }
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                LogVisibilityBatchFailed(logger, chunk.Length, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the visibility of message {MessageId} ({Code}: {Reason})")]
    private static partial void LogVisibilityFailed(ILogger logger, string messageId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the visibility of {Count} messages")]
    private static partial void LogVisibilityBatchFailed(ILogger logger, int count, Exception exception);
}
