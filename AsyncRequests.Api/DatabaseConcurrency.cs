using System.Globalization;
using System.Threading.RateLimiting;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

/// <summary>
/// Keeps endpoints that read the database within the connection pool: beyond it a request waits, oldest
/// first, up to <see cref="DatabaseOptions.ConnectionWaitMilliseconds"/> for a turn, then is answered 503
/// with Retry-After before it takes a connection, instead of waiting inside the pool and failing in the
/// database. Submissions have their own bound, the group-commit writer's queue.
/// </summary>
public static class DatabaseConcurrency
{
    public const string PolicyName = "database";

    /// <summary>Connections kept for the sender's marks, the relay, the backlog read and health checks, besides the submission writer's.</summary>
    private const int ReservedConnections = 4;

    /// <summary>Beyond this many waiting, a read is refused at once: the wait bounds time, this bounds memory.</summary>
    private const int MaxWaiting = 10_000;

    private const int RetryAfterSeconds = 1;

    public static IHostApplicationBuilder AddDatabaseConcurrencyLimit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(limiter => limiter.OnRejected = RejectAsync);
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<DatabaseOptions>, IOptions<SubmissionOptions>>((limiter, database, submissions) =>
        {
            var permits = Math.Max(1, database.Value.MaxPoolSize - ReservedConnections - submissions.Value.MaxBatchesInFlight);
            var wait = TimeSpan.FromMilliseconds(database.Value.ConnectionWaitMilliseconds);
            limiter.AddPolicy(PolicyName, _ => RateLimitPartition.Get(PolicyName, _ => new BoundedWaitLimiter(
                new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = permits,
                    QueueLimit = MaxWaiting,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                }),
                wait)));
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
                Detail = "Every database connection of this instance stayed busy. Try again shortly.",
            },
        });
    }

    /// <summary>A concurrency limiter whose waiting acquisitions give up, refused, after a bounded wait.</summary>
    private sealed class BoundedWaitLimiter(ConcurrencyLimiter limiter, TimeSpan wait) : RateLimiter
    {
        public override TimeSpan? IdleDuration => limiter.IdleDuration;

        public override RateLimiterStatistics? GetStatistics() => limiter.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => limiter.AttemptAcquire(permitCount);

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            waiting.CancelAfter(wait);
            try
            {
                return await limiter.AcquireAsync(permitCount, waiting.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return RefusedLease.Instance;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                limiter.Dispose();
            }

            base.Dispose(disposing);
        }

        protected override ValueTask DisposeAsyncCore() => limiter.DisposeAsync();
    }

    private sealed class RefusedLease : RateLimitLease
    {
        public static readonly RefusedLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
