using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AsyncRequests.Requests.Queue;

/// <summary>Ready only when the request queue answers, so traffic is not routed to an instance that cannot enqueue.</summary>
internal sealed class QueueHealthCheck(IAmazonSQS sqs, QueueTopology topology) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var urls = await topology.GetUrlsAsync(cancellationToken);
            await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(urls.Queue, [QueueAttributeName.QueueArn]), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is AmazonSQSException or HttpRequestException or TaskCanceledException or Amazon.Runtime.AmazonClientException)
        {
            return HealthCheckResult.Unhealthy("The request queue is not reachable.", e);
        }
    }
}
