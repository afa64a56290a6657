using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AsyncRequests.Api;

/// <summary>
/// Whether the request store's schema is migrated: the background loops wait for it before their first
/// query, the request routes answer 503 until then, and <c>/health</c> reports it.
/// </summary>
public sealed class RequestStoreReadiness : IHealthCheck
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompleted;

    public void MarkReady() => _ready.TrySetResult();

    public Task WaitAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsReady
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "The request store is not migrated yet."));
}
