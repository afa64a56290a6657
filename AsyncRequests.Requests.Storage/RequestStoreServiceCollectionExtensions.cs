using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AsyncRequests.Requests;

public static class RequestStoreServiceCollectionExtensions
{
    /// <summary>The request store's database (<see cref="RequestsServiceCollectionExtensions.AddRequestDatabase"/>) and EF Core on its connection pool.</summary>
    public static IHostApplicationBuilder AddRequestStore(this IHostApplicationBuilder builder)
    {
        builder.AddRequestDatabase();

        // The factory serves code that runs several database operations at once; request-scoped code
        // takes a context from the same pool.
        builder.Services.AddPooledDbContextFactory<RequestsDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<RequestsDbContext>>().CreateDbContext());
        return builder;
    }
}
