using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

public static partial class DatabaseMigration
{
    /// <summary>Applies pending migrations before the Api takes traffic, when <c>Database:MigrateOnStartup</c> is on.</summary>
    public static async Task MigrateRequestStoreIfConfiguredAsync(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            return;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RequestsDbContext>();
        LogMigrating(app.Logger, (await db.Database.GetPendingMigrationsAsync()).Count());
        await db.Database.MigrateAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} pending request store migrations")]
    private static partial void LogMigrating(ILogger logger, int count);
}
