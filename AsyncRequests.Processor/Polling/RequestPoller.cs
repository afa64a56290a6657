using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>Polls the request queue and runs each request through the <see cref="MessageProcessor"/>.</summary>
public sealed class RequestPoller(
    IAmazonSQS sqs,
    QueueTopology topology,
    DatabaseGate database,
    ReceiveLoopHealthCheck receiveLoops,
    MessageProcessor processor,
    IOptions<ProcessorOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<RequestPoller> logger) : QueuePoller(sqs, topology, database, receiveLoops, lifetime, time, logger)
{
    protected override int MaxConcurrency => options.Value.MaxConcurrency;

    protected override TimeSpan DrainTimeout => TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);

    protected override int WaitTimeSeconds => options.Value.WaitTimeSeconds;

    protected override string QueueUrlOf(QueueUrls urls) => urls.Queue;

    protected override Task<MessageDisposition> HandleAsync(Message message, string queueUrl, CancellationToken handOver) =>
        processor.ProcessAsync(message, queueUrl, handOver);
}
