using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A health check that answers within <see cref="Bound"/>: one whose dependency accepts connections but
/// never replies reports its failure status then, instead of holding <c>/health</c> (whose checks run
/// together) open for as long as the dependency hangs. The check's token is cancelled at the bound, and
/// the answer does not wait for a check that ignores it.
/// </summary>
internal sealed class TimeBoundHealthCheck(IHealthCheck check) : IHealthCheck
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>Wraps every registered check, whoever registered it.</summary>
    public static void Apply(HealthCheckServiceOptions options)
    {
        foreach (var registration in options.Registrations)
        {
            var factory = registration.Factory;
            registration.Factory = services => new TimeBoundHealthCheck(factory(services));
        }
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Bound);
        try
        {
            return await check.CheckHealthAsync(context, timeout.Token).WaitAsync(Bound, cancellationToken);
        }
        catch (Exception e) when ((e is TimeoutException or OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"No answer within {Bound.TotalSeconds:0}s: the dependency hangs.", e);
        }
    }
}
