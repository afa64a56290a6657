using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace AsyncRequests.Api;

/// <summary>
/// Answers 503 with a ProblemDetails body while the database cannot be reached, so clients retry
/// instead of seeing a 500; any other exception falls through to the generic 500 ProblemDetails.
/// </summary>
internal sealed partial class DatabaseUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableExceptionHandler> logger)
    : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseErrors.IsUnavailable(exception))
        {
            return false;
        }

        LogDatabaseUnavailable(logger, exception);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = "The request store is unreachable right now. Try again shortly.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unavailable; answering 503")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception);
}
