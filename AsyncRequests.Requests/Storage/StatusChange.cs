namespace AsyncRequests.Requests.Storage;

/// <summary>One entry of a request's history: every status transition, with the attempt it belongs to.</summary>
public sealed class StatusChange
{
    public long Id { get; init; }

    public Guid RequestId { get; init; }

    public RequestStatus Status { get; init; }

    public DateTimeOffset At { get; init; }

    public int Attempt { get; init; }

    public string? Detail { get; init; }
}
