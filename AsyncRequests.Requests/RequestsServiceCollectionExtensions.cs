using Amazon.SQS;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Requests;

public static class RequestsServiceCollectionExtensions
{
    /// <summary>The connection string name, as the Aspire database resource is named.</summary>
    public const string ConnectionStringName = "requestsdb";

    /// <summary>The request store's PostgreSQL data source (Npgsql), its health check and telemetry; EF Core is added by the Api only.</summary>
    public static IHostApplicationBuilder AddRequestDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) => options.ConnectionString = configuration.GetConnectionString(ConnectionStringName))
            .Validate(options => !string.IsNullOrWhiteSpace(options.ConnectionString), $"Connection string '{ConnectionStringName}' is missing: set ConnectionStrings__{ConnectionStringName}.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        // One connection pool per process, shared by EF Core (in the Api) and the paths that use Npgsql directly.
        builder.Services.AddSingleton(services => BuildDataSource(services.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(ConnectionStringName);
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(RequestTelemetry.Name).AddNpgsql())
            .WithMetrics(metrics => metrics.AddMeter(RequestTelemetry.Name));
        return builder;
    }

    /// <summary>
    /// The connection settings every service runs with. No reset on return to the pool: no code here
    /// changes session state (no SET, temporary tables, session advisory locks or LISTEN), so the
    /// DISCARD ALL that a checkout would otherwise cost buys nothing. Statements run often enough to be
    /// prepared automatically, which skips their parse and plan on every later execution.
    /// </summary>
    private static NpgsqlDataSource BuildDataSource(DatabaseOptions options)
    {
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            MaxPoolSize = options.MaxPoolSize,
            NoResetOnClose = true,
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
        };
        connection.MinPoolSize = Math.Min(connection.MinPoolSize, connection.MaxPoolSize);
        return new NpgsqlDataSourceBuilder(connection.ConnectionString).Build();
    }

    /// <summary>The SQS client (AWS SDK default settings: AWS_REGION, AWS_ENDPOINT_URL_SQS, credential chain) and the queue topology.</summary>
    public static IHostApplicationBuilder AddRequestQueue(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>();
        builder.Services.AddDefaultAWSOptions(services => services.GetRequiredService<IConfiguration>().GetAWSOptions(), ServiceLifetime.Singleton);
        builder.Services.AddAWSService<IAmazonSQS>();
        builder.Services.AddSingleton<QueueTopology>();
        builder.Services.AddHealthChecks().AddCheck<QueueHealthCheck>("queue");
        return builder;
    }
}
