using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Holds the pollers back while the request store cannot serve them: at start until the Api has
/// migrated the schema, and later while the database is unreachable, so that no message is received
/// (and its receive count spent) only to fail.
/// </summary>
public sealed partial class DatabaseGate(IDbContextFactory<RequestsDbContext> contexts, TimeProvider time, ILogger<DatabaseGate> logger)
{
    private static readonly TimeSpan s_checkInterval = TimeSpan.FromSeconds(1);

    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var logged = false;
        while (true)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                if (!(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
                {
                    if (logged)
                    {
                        LogReady(logger);
                    }

                    return;
                }

                if (!logged)
                {
                    LogWaitingForSchema(logger);
                }
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
            {
                if (!logged)
                {
                    LogUnreachable(logger, e);
                }
            }

            logged = true;
            await Task.Delay(s_checkInterval, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the request store schema to be migrated")]
    private static partial void LogWaitingForSchema(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unreachable; not receiving until it is back")]
    private static partial void LogUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request store is ready")]
    private static partial void LogReady(ILogger logger);
}
