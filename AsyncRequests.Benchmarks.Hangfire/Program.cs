using AsyncRequests.Benchmarks.Hangfire;
using Hangfire;
using Hangfire.PostgreSql;

var builder = WebApplication.CreateBuilder(args);

var connectionString = builder.Configuration.GetConnectionString("hangfiredb")
    ?? throw new InvalidOperationException("ConnectionStrings:hangfiredb is not set.");

// The peer as the benchmark defines it: 20 workers polling the queue table every 50 ms.
builder.Services.AddHangfire(configuration => configuration
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UsePostgreSqlStorage(
        options => options.UseNpgsqlConnection(connectionString),
        new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(50) }));

// Off for the benchmark's backlog scenario: jobs are enqueued, and none runs until a restart with workers on.
if (builder.Configuration.GetValue("Workers:Enabled", defaultValue: true))
{
    builder.Services.AddHangfireServer(options => options.WorkerCount = 20);
}

builder.Services.AddProblemDetails();
builder.Services.AddHealthChecks();

var app = builder.Build();

app.MapHealthChecks("/alive");
app.MapMultiplyApi();

await app.RunAsync();
