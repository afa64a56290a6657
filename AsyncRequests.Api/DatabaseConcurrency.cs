using System.Globalization;
using System.Threading.RateLimiting;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

/// <summary>
/// Keeps endpoints that read the database within the connection pool: beyond it a request is
/// answered 503 with Retry-After before it takes a connection, instead of waiting for one and
/// failing inside the database. Submissions have their own bound, the group-commit writer's queue.
/// </summary>
public static class DatabaseConcurrency
{
    public const string PolicyName = "database";

    /// <summary>Connections kept for the submission writer, the sender's marks, the relay, the backlog read and health checks.</summary>
    private const int ReservedConnections = 5;

    private const int RetryAfterSeconds = 1;

    public static IHostApplicationBuilder AddDatabaseConcurrencyLimit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(limiter => limiter.OnRejected = RejectAsync);
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<DatabaseOptions>>((limiter, database) =>
        {
            var permits = Math.Max(1, database.Value.MaxPoolSize - ReservedConnections);
            limiter.AddConcurrencyLimiter(PolicyName, concurrency =>
            {
                concurrency.PermitLimit = permits;
                concurrency.QueueLimit = permits;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
        });
        return builder;
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "System saturated",
                Detail = "Every database connection of this instance is busy. Try again shortly.",
            },
        });
    }
}
