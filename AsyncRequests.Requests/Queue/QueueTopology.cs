using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Requests.Queue;

/// <summary>Finds the queues' URLs once, creating the queues first when <see cref="QueueOptions.AutoCreateQueues"/> is on.</summary>
public sealed class QueueTopology(IAmazonSQS sqs, IOptions<QueueOptions> options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private QueueUrls? _urls;

    /// <summary>How long a received message stays hidden unless its holder extends it.</summary>
    public TimeSpan VisibilityTimeout => TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);

    public async Task<QueueUrls> GetUrlsAsync(CancellationToken cancellationToken)
    {
        if (_urls is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _urls ??= options.Value.AutoCreateQueues
                ? await CreateAsync(options.Value, cancellationToken)
                : new QueueUrls(
                    (await sqs.GetQueueUrlAsync(options.Value.QueueName, cancellationToken)).QueueUrl,
                    (await sqs.GetQueueUrlAsync(options.Value.DeadLetterQueueName, cancellationToken)).QueueUrl);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<QueueUrls> CreateAsync(QueueOptions queue, CancellationToken cancellationToken)
    {
        // CreateQueue is idempotent for identical attributes, so racing instances agree.
        var deadLetterUrl = (await sqs.CreateQueueAsync(queue.DeadLetterQueueName, cancellationToken)).QueueUrl;
        var deadLetterArn = (await sqs.GetQueueAttributesAsync(deadLetterUrl, [QueueAttributeName.QueueArn], cancellationToken)).QueueARN;
        var redrivePolicy = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["deadLetterTargetArn"] = deadLetterArn,
            ["maxReceiveCount"] = queue.MaxReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, QueueJsonContext.Default.DictionaryStringString);
        var queueUrl = (await sqs.CreateQueueAsync(
            new CreateQueueRequest
            {
                QueueName = queue.QueueName,
                Attributes = new()
                {
                    [QueueAttributeName.RedrivePolicy] = redrivePolicy,
                    [QueueAttributeName.VisibilityTimeout] = queue.VisibilityTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            cancellationToken)).QueueUrl;
        return new QueueUrls(queueUrl, deadLetterUrl);
    }
}

public sealed record QueueUrls(string Queue, string DeadLetterQueue);
