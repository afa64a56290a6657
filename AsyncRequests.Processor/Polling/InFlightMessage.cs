using Amazon.SQS.Model;

namespace AsyncRequests.Processor.Polling;

/// <summary>A received message this instance holds (buffered or being handled) and keeps hidden until it is settled.</summary>
public sealed class InFlightMessage(Message message, string queueUrl, IReadOnlyList<ConcurrencyGroup> concurrencyGroups, long receivedAt)
{
    private volatile bool _abandoned;

    public Message Message { get; } = message;

    public string QueueUrl { get; } = queueUrl;

    /// <summary>The groups whose concurrency limits apply (its request type and its client); it starts only while all allow.</summary>
    public IReadOnlyList<ConcurrencyGroup> ConcurrencyGroups { get; } = concurrencyGroups;

    /// <summary>When it was received (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long ReceivedAt { get; } = receivedAt;

    /// <summary>Its request was taken over by another worker: its visibility is no longer extended.</summary>
    public bool Abandoned => _abandoned;

    public void Abandon() => _abandoned = true;
}
