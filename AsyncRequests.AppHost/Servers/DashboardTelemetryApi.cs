namespace AsyncRequests.AppHost;

/// <summary>
/// Turns on the dashboard's telemetry HTTP API (GET /api/telemetry/traces/{traceId} and others) in run mode.
/// Callers send the AppHost's AppHost:DashboardApiKey (kept in its user secrets) as the x-api-key header.
/// </summary>
internal static class DashboardTelemetryApi
{
    private const string DashboardResourceName = "aspire-dashboard";

    public static void EnableDashboardTelemetryApi(this IDistributedApplicationBuilder builder) =>
        builder.Eventing.Subscribe<InitializeResourceEvent>((e, _) =>
        {
            if (e.Resource.Name == DashboardResourceName)
            {
                e.Resource.Annotations.Add(new EnvironmentCallbackAnnotation(
                    environment => environment["Dashboard__Api__Enabled"] = "true"));
            }

            return Task.CompletedTask;
        });
}
