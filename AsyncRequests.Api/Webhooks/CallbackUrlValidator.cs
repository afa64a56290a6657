namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// The submit-time check of a callbackUrl: null when acceptable, otherwise a message for a 400
/// validation problem under the key <c>callbackUrl</c>.
/// </summary>
public sealed class CallbackUrlValidator
{
    public Task<string?> FindProblemAsync(string callbackUrl, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);
}
