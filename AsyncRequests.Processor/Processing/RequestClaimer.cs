namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Claims requests for concurrent callers together: claims made while a claim statement is in flight
/// join the next one (group commit, as outcomes are written), so that slots freeing one at a time do
/// not cost a statement each. Each caller gets only its own requests' answers, once they are committed.
/// </summary>
public sealed class RequestClaimer(RequestLeases leases)
{
    private const int MaxBatch = 100;

    // Never cancelled: a claim cut off mid-flight might have committed, spending attempts of requests nobody runs.
    private readonly GroupCommit<RequestClaim, ClaimResult> _claims = new(batch => leases.ClaimAsync(batch, CancellationToken.None), MaxBatch);

    /// <summary>
    /// Claims the free requests of <paramref name="requestIds"/> for <paramref name="owner"/>, and says why the others
    /// were not: one answer per id, in order. A request named twice is claimed by its first mention only; the later one
    /// finds it held, as a duplicate message does.
    /// </summary>
    public IReadOnlyList<Task<ClaimResult>> Claim(IReadOnlyList<Guid> requestIds, Guid owner) =>
        _claims.SubmitAll([.. requestIds.Select(id => new RequestClaim(id, owner))]);
}
