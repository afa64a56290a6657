namespace AsyncRequests.Api.Outbox;

/// <summary>
/// What became of a send: the requests whose message SQS took, and how many were not sent, by why: the call
/// timed out, SQS refused the entry, or the call failed (<paramref name="Error"/> is the last such failure).
/// </summary>
public sealed record SendOutcome(IReadOnlyList<Guid> Sent, int TimedOut, int Refused, int Failed, Exception? Error)
{
    public static readonly SendOutcome None = new([], 0, 0, 0, null);

    public int Unsent => TimedOut + Refused + Failed;

    public static SendOutcome Combine(IEnumerable<SendOutcome> outcomes) => outcomes.Aggregate(None, (all, one) => new SendOutcome(
        [.. all.Sent, .. one.Sent], all.TimedOut + one.TimedOut, all.Refused + one.Refused, all.Failed + one.Failed, one.Error ?? all.Error));
}
