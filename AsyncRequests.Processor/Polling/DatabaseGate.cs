using AsyncRequests.Requests.Storage;
using Npgsql;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Holds the pollers back while the request store cannot serve them: at start until the Api has
/// migrated the schema, and later while the database is unreachable, so that no message is received
/// (and its receive count spent) only to fail. Every failure means "not ready yet": the gate never
/// throws, so a database problem an operator fixes (permissions, a broken schema) needs no restart.
/// </summary>
public sealed partial class DatabaseGate(NpgsqlDataSource database, TimeProvider time, ILogger<DatabaseGate> logger)
{
    // Asks for the history table first: a query of a table that is missing fails, and the server logs it as an error.
    private const string HistoryTableSql = $"SELECT to_regclass('\"{RequestStoreSchema.MigrationsHistoryTable}\"') IS NOT NULL";

    private const string MigratedSql = $"""SELECT EXISTS (SELECT FROM "{RequestStoreSchema.MigrationsHistoryTable}" WHERE "MigrationId" = $1)""";

    private static readonly TimeSpan s_checkInterval = TimeSpan.FromSeconds(1);

    private enum Readiness
    {
        Ready,
        SchemaMissing,
        Unreachable,
        Failing,
    }

    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var waited = false;
        var failures = 0;
        var reported = Readiness.Ready;
        while (true)
        {
            var (readiness, error) = await CheckAsync(cancellationToken);
            switch (readiness)
            {
                case Readiness.Ready:
                    if (waited)
                    {
                        LogReady(logger);
                    }

                    return;
                case Readiness.SchemaMissing when reported != Readiness.SchemaMissing:
                    LogWaitingForSchema(logger);
                    break;
                case Readiness.SchemaMissing:
                    LogStillWaitingForSchema(logger);
                    break;
                case Readiness.Unreachable when reported != Readiness.Unreachable:
                    LogUnreachable(logger, error!);
                    break;
                case Readiness.Failing:
                    failures++;
                    LogFailing(logger, failures, FailureBackoff.After(failures, s_checkInterval).TotalSeconds, error!);
                    break;
            }

            if (readiness != Readiness.Failing)
            {
                failures = 0;
            }

            reported = readiness;
            waited = true;
            await Task.Delay(FailureBackoff.After(failures, s_checkInterval), time, cancellationToken);
        }
    }

    private async Task<(Readiness, Exception?)> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var historyTable = new NpgsqlCommand(HistoryTableSql, connection);
            if (!(bool)(await historyTable.ExecuteScalarAsync(cancellationToken))!)
            {
                return (Readiness.SchemaMissing, null);
            }

            // The Api migrates in order, so the newest migration recorded means the schema is complete.
            await using var migrated = new NpgsqlCommand(MigratedSql, connection);
            migrated.Parameters.Add(new NpgsqlParameter { Value = RequestStoreSchema.LatestMigration });
            return ((bool)(await migrated.ExecuteScalarAsync(cancellationToken))! ? Readiness.Ready : Readiness.SchemaMissing, null);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // The database itself is created by the Api's first migration.
            return (Readiness.SchemaMissing, e);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return (Readiness.Unreachable, e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return (Readiness.Failing, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the request store schema to be migrated")]
    private static partial void LogWaitingForSchema(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The request store schema is not migrated yet")]
    private static partial void LogStillWaitingForSchema(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request store is unreachable; not receiving until it is back")]
    private static partial void LogUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The request store fails {Failures} time(s) in a row; not receiving until it works, next check in {DelaySeconds}s")]
    private static partial void LogFailing(ILogger logger, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request store is ready")]
    private static partial void LogReady(ILogger logger);
}
