using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Processor.Polling;

/// <summary>The Api owns migrations; the Processor waits until the schema they create is in place.</summary>
public sealed partial class SchemaGate(IDbContextFactory<RequestsDbContext> contexts, TimeProvider time, ILogger<SchemaGate> logger)
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
                    return;
                }
            }
            catch (Npgsql.NpgsqlException e)
            {
                if (!logged)
                {
                    LogDatabaseUnreachable(logger, e);
                }
            }

            if (!logged)
            {
                LogWaiting(logger);
                logged = true;
            }

            await Task.Delay(s_checkInterval, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the request store schema to be migrated")]
    private static partial void LogWaiting(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is not reachable yet")]
    private static partial void LogDatabaseUnreachable(ILogger logger, Exception exception);
}
