using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

/// <summary>
/// Applies pending migrations when <c>Database:MigrateOnStartup</c> is on, in the background: the Api
/// listens meanwhile, and <see cref="RequestStoreReadiness"/> holds back its routes and loops until the
/// schema is there. An unreachable database is waited for, with a backoff; any other failure (a migration
/// that does not apply) stops the process with a failing exit code.
/// </summary>
public sealed partial class DatabaseMigration(
    IServiceScopeFactory scopes,
    IOptions<DatabaseOptions> options,
    RequestStoreReadiness readiness,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseMigration> logger) : BackgroundService
{
    private static readonly TimeSpan s_retryBase = TimeSpan.FromSeconds(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup)
        {
            return base.StartAsync(cancellationToken);
        }

        // Ready before the server listens, so nothing waits when the schema is someone else's job.
        readiness.MarkReady();
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Like the loops, it belongs to no request's trace: its statements would only add root spans.
        using var untraced = BackgroundTracing.Suppress();
        try
        {
            await MigrateAsync(stoppingToken);
            readiness.MarkReady();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(logger, e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task MigrateAsync(CancellationToken stoppingToken)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RequestsDbContext>();
                LogMigrating(logger, (await db.Database.GetPendingMigrationsAsync(stoppingToken)).Count());
                await db.Database.MigrateAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && !stoppingToken.IsCancellationRequested)
            {
                var delay = FailureBackoff.After(failures, s_retryBase);
                LogUnreachable(logger, failures, delay.TotalSeconds, e);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} pending request store migrations")]
    private static partial void LogMigrating(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unreachable for its migrations ({Failures} time(s) in a row); retrying in {DelaySeconds}s")]
    private static partial void LogUnreachable(ILogger logger, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The request store migrations failed; stopping")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
