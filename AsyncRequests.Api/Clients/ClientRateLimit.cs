using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// A token bucket per client on submits: <see cref="ClientLimits.Burst"/> at once, refilled at
/// <see cref="ClientLimits.RequestsPerSecond"/>, the client's own or the defaults. Each Api instance keeps its
/// own buckets, so behind a load balancer over N instances a client gets up to N times the rate. Refused: 429
/// with Retry-After, nothing stored.
/// </summary>
public sealed class ClientRateLimit : IRateLimiterPolicy<(string ClientId, int RequestsPerSecond, int Burst)>
{
    public const string PolicyName = "client";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = RejectAsync;

    public RateLimitPartition<(string ClientId, int RequestsPerSecond, int Burst)> GetPartition(HttpContext httpContext)
    {
        // The authorization policy of the route ran first: every caller here is a client, its limits known.
        var limits = httpContext.ClientLimits();
        if (limits.RequestsPerSecond == 0)
        {
            return RateLimitPartition.GetNoLimiter<(string, int, int)>(default);
        }

        // The limits are part of the key: changed limits get a new bucket, and the old one is dropped once idle.
        var key = (httpContext.User.ClientId(), limits.RequestsPerSecond, limits.Burst);
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst > 0 ? limits.Burst : limits.RequestsPerSecond,
            TokensPerPeriod = limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Ceiling(Math.Max(1, wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Quota exceeded",
                Detail = "This client submitted more requests than its rate allows. Nothing was stored; try again after Retry-After.",
            },
        });
    }
}
