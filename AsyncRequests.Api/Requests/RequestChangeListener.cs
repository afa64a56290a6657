using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// Listens for the changes of requests that PostgreSQL announces (the <c>NotifyRequestChanges</c> trigger
/// notifies <see cref="Channel"/> with the request id when a change commits) and hands them to the
/// event streams' <see cref="RequestWatchers"/>. One connection per instance serves every stream. It is
/// not from the shared pool, whose connections are not reset between users, so LISTEN stays on it.
/// After each (re)connect every watched request is read again: changes committed while no one listened
/// were announced to no one.
/// </summary>
public sealed partial class RequestChangeListener(
    IOptions<DatabaseOptions> database,
    RequestWatchers watchers,
    TimeProvider time,
    RequestStoreReadiness readiness,
    ILogger<RequestChangeListener> logger) : BackgroundService
{
    public const string Channel = "request_changes";

    /// <summary>How the listening session shows in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "AsyncRequests request change listener";

    private static readonly TimeSpan s_reconnectInterval = TimeSpan.FromSeconds(1);

    // An idle connection is pinged this often, so one the network silently dropped is noticed and replaced.
    private static readonly TimeSpan s_keepAliveInterval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        using var untraced = BackgroundTracing.Suppress();
        var connectionString = new NpgsqlConnectionStringBuilder(database.Value.ConnectionString)
        {
            Pooling = false,
            ApplicationName = ApplicationName,
            CommandTimeout = (int)s_keepAliveInterval.TotalSeconds,
        }.ConnectionString;
        var failures = 0;
        while (true)
        {
            try
            {
                await using var connection = await ListenAsync(connectionString, stoppingToken);
                if (failures > 0)
                {
                    LogReconnected(logger, failures);
                    failures = 0;
                }

                watchers.ChangedAll();
                await ReceiveAsync(connection, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    LogConnectionLost(logger, e);
                }

                await Task.Delay(FailureBackoff.After(failures, s_reconnectInterval), time, stoppingToken);
            }
        }
    }

    private async Task<NpgsqlConnection> ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Notification += (_, notification) =>
            {
                if (Guid.TryParse(notification.Payload, out var id))
                {
                    watchers.Changed(id);
                }
            };
            await connection.OpenAsync(stoppingToken);
            await using var listen = new NpgsqlCommand($"LISTEN {Channel}", connection);
            await listen.ExecuteNonQueryAsync(stoppingToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Notifications arrive while the connection waits; an idle one is pinged now and then.</summary>
    private static async Task ReceiveAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        await using var ping = new NpgsqlCommand("SELECT 1", connection);
        while (true)
        {
            if (!await connection.WaitAsync(s_keepAliveInterval, stoppingToken))
            {
                await ping.ExecuteScalarAsync(stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request change listener lost its database connection; it reconnects, and event streams read again once it is back")]
    private static partial void LogConnectionLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request change listener listens again after {Failures} failed attempts")]
    private static partial void LogReconnected(ILogger logger, int failures);
}
