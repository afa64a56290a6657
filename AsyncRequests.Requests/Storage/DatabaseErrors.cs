using System.Net.Sockets;
using Npgsql;

namespace AsyncRequests.Requests.Storage;

public static class DatabaseErrors
{
    /// <summary>The database is down or restarting (as opposed to a query being wrong), anywhere in the exception chain.</summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or NpgsqlException { InnerException: SocketException } or PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow })
            {
                return true;
            }
        }

        return false;
    }
}
