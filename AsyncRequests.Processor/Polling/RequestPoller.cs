using Amazon.SQS;
using Amazon.SQS.Model;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Polling;

/// <summary>Polls the request queue and runs what it receives through the <see cref="MessageProcessor"/>, a batch at a time.</summary>
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
    protected override string QueueDescription => "request queue";

    protected override int MaxConcurrency => options.Value.MaxConcurrency;

    protected override TimeSpan DrainTimeout => TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);

    protected override int WaitTimeSeconds => options.Value.WaitTimeSeconds;

    protected override string QueueUrlOf(QueueUrls urls) => urls.Queue;

    protected override IReadOnlyList<Task<MessageDisposition>> StartAll(IReadOnlyList<InFlightMessage> messages, CancellationToken handOver) =>
        processor.ProcessAll(messages, handOver);

    protected override Task KeepAliveAsync(CancellationToken cancellationToken) => processor.RenewLeasesAsync(cancellationToken);

    protected override IReadOnlyList<ConcurrencyGroup> ConcurrencyGroupsOf(Message message) =>
        RequestMessage.TryParse(message.Body) is { } request
            ? [new(ConcurrencyGroup.Kind.RequestType, request.Type), new(ConcurrencyGroup.Kind.Client, request.ClientId)]
            : [];

    protected override int ConcurrencyLimitOf(ConcurrencyGroup group) => group.By switch
    {
        ConcurrencyGroup.Kind.RequestType => options.Value.ConcurrencyLimitOf(group.Name),
        _ => options.Value.ClientConcurrencyLimit,
    };
}
