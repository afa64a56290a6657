using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Deletes finished messages in batches of up to ten, one call instead of ten. A delete that fails
/// only means the message comes back once more, and its finished request makes that a no-op.
/// </summary>
internal sealed partial class MessageDeleter(IAmazonSQS sqs, string queueUrl, ILogger logger)
{
    private const int MaxBatch = 10;
    private readonly Channel<string> _receiptHandles = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(string receiptHandle) => _receiptHandles.Writer.TryWrite(receiptHandle);

    /// <summary>Runs until <see cref="Complete"/> is called and everything enqueued is deleted.</summary>
    public async Task RunAsync()
    {
        var batch = new List<DeleteMessageBatchRequestEntry>(MaxBatch);
        while (await _receiptHandles.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _receiptHandles.Reader.TryRead(out var handle))
            {
                batch.Add(new DeleteMessageBatchRequestEntry(batch.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), handle));
            }

            try
            {
                var response = await sqs.DeleteMessageBatchAsync(queueUrl, batch);
                foreach (var failed in response.Failed ?? [])
                {
                    LogDeleteFailed(logger, failed.Code, failed.Message);
                }
            }
            catch (Exception e) when (e is AmazonSQSException or Amazon.Runtime.AmazonClientException or HttpRequestException)
            {
                LogBatchFailed(logger, batch.Count, e);
            }

            batch.Clear();
        }
    }

    public void Complete() => _receiptHandles.Writer.TryComplete();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete a finished message ({Code}: {Reason}); it will be seen once more and ignored")]
    private static partial void LogDeleteFailed(ILogger logger, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Count} finished messages; they will be seen once more and ignored")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
