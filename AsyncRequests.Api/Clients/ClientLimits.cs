namespace AsyncRequests.Api.Clients;

/// <summary>
/// The quotas one client gets: its own overrides where an operator set them, the <c>Clients:*</c> defaults
/// elsewhere. Set on the call's features once the caller is known, for the rate limiter and the pending cap.
/// </summary>
public sealed record ClientLimits(int RequestsPerSecond, int Burst, int MaxPendingRequests)
{
    public static ClientLimits Of(int? requestsPerSecond, int? burst, int? maxPendingRequests, ClientOptions defaults) =>
        new(requestsPerSecond ?? defaults.RequestsPerSecond, burst ?? defaults.Burst, maxPendingRequests ?? defaults.MaxPendingRequests);
}
