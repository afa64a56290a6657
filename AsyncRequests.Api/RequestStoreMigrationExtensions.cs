using System.Globalization;

namespace AsyncRequests.Api;

public static class RequestStoreMigrationExtensions
{
    private const int RetryAfterSeconds = 5;

    /// <summary>The migration at start (<see cref="DatabaseMigration"/>), the readiness it sets, and its check on <c>/health</c>.</summary>
    public static IHostApplicationBuilder AddRequestStoreMigration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RequestStoreReadiness>();
        builder.Services.AddHealthChecks().AddCheck<RequestStoreReadiness>("requestsdb-migrations");
        builder.Services.AddHostedService<DatabaseMigration>();
        return builder;
    }

    /// <summary>
    /// A group for the routes that use the request store: until it is migrated they answer 503 with
    /// Retry-After, which clients retry, instead of a 500 for a table that does not exist yet.
    /// </summary>
    public static RouteGroupBuilder MapRequestStoreGroup(this IEndpointRouteBuilder app) =>
        app.MapGroup(string.Empty).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetRequiredService<RequestStoreReadiness>().IsReady)
            {
                return await next(context);
            }

            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Service unavailable",
                detail: "The request store is not migrated yet. Try again shortly.");
        });
}
