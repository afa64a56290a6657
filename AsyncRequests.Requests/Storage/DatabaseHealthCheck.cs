using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AsyncRequests.Requests.Storage;

/// <summary>
/// Ready only when the request store answers a query. A round trip, not just an open: a pooled
/// connection opens without asking the server anything. It owns its connection, so a check abandoned
/// at its time bound (the server hangs) ends on its own and holds up no one's cleanup.
/// </summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The request store does not answer.", e);
        }
    }
}
