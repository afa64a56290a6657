using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// A token bucket per client on submits: <see cref="ClientOptions.Burst"/> at once, refilled at
/// <see cref="ClientOptions.RequestsPerSecond"/>. Each Api instance keeps its own buckets, so behind a load
/// balancer over N instances a client gets up to N times the rate. Refused: 429 with Retry-After, nothing stored.
/// </summary>
public sealed class ClientRateLimit(IOptions<ClientOptions> options) : IRateLimiterPolicy<string>
{
    public const string PolicyName = "client";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var limits = options.Value;
        if (limits.RequestsPerSecond == 0)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        // The authorization policy of the route ran first: every caller here is a client.
        return RateLimitPartition.GetTokenBucketLimiter(httpContext.User.ClientId(), _ => new TokenBucketRateLimiterOptions
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
