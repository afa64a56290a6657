using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

public static partial class DatabaseMigration
{
    private static readonly TimeSpan s_retryBase = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Applies pending migrations before the Api takes traffic, when <c>Database:MigrateOnStartup</c> is on.
    /// An unreachable database is waited for, with a backoff, rather than ending the process; any other
    /// failure (a migration that does not apply) stops the start.
    /// </summary>
    public static async Task MigrateRequestStoreIfConfiguredAsync(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            return;
        }

        var stopping = app.Lifetime.ApplicationStopping;
        for (var failures = 1; ; failures++)
        {
            try
            {
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RequestsDbContext>();
                LogMigrating(app.Logger, (await db.Database.GetPendingMigrationsAsync(stopping)).Count());
                await db.Database.MigrateAsync(stopping);
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && !stopping.IsCancellationRequested)
            {
                var delay = FailureBackoff.After(failures, s_retryBase);
                LogUnreachable(app.Logger, failures, delay.TotalSeconds, e);
                await Task.Delay(delay, stopping);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} pending request store migrations")]
    private static partial void LogMigrating(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unreachable for its migrations ({Failures} time(s) in a row); retrying in {DelaySeconds}s")]
    private static partial void LogUnreachable(ILogger logger, int failures, double delaySeconds, Exception exception);
}
