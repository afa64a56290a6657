using Amazon.SQS.Model;

namespace AsyncRequests.Processor.Polling;

/// <summary>A received message this instance holds (buffered or being handled) and keeps hidden until it is settled.</summary>
public sealed class InFlightMessage(Message message, string queueUrl, string? concurrencyGroup, long receivedAt)
{
    private volatile bool _abandoned;

    public Message Message { get; } = message;

    public string QueueUrl { get; } = queueUrl;

    /// <summary>The group whose concurrency limit applies (the request type), if any.</summary>
    public string? ConcurrencyGroup { get; } = concurrencyGroup;

    /// <summary>When it was received (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long ReceivedAt { get; } = receivedAt;

    /// <summary>Its request was taken over by another worker: its visibility is no longer extended.</summary>
    public bool Abandoned => _abandoned;

    public void Abandon() => _abandoned = true;
}
