using AsyncRequests.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// PostgreSQL with the requests database, and SQS: in containers by default, or from the machine's binaries
// with LocalServers=true (the `local` launch profile), for machines without a container engine.
var servers = bool.TryParse(builder.Configuration["LocalServers"], out var localServers) && localServers
    ? builder.AddLocalProcessServers()
    : builder.AddContainerServers();

var withAwsRegion = AwsRegion.Configure(builder);
builder.EnableDashboardTelemetryApi();

// Webhooks are signed with a Standard Webhooks secret, "whsec_" + base64 of the key. 32 letters and digits are
// the base64 of a 24-byte key. The value is generated once and kept in this AppHost's user secrets, so receivers
// keep verifying across runs; the dashboard shows it on the parameter.
var webhookSigningKey = builder.AddParameter(
    "webhook-signing-key",
    new GenerateParameterDefault { MinLength = 32, Special = false },
    secret: true,
    persist: true);

var api = builder.AddProject<Projects.AsyncRequests_Api>("api")
    .WithReference(servers.RequestsDb)
    .WaitFor(servers.RequestsDb)
    .WithEnvironment("Database__MigrateOnStartup", "true")
    .WithEnvironment("Webhooks__SigningSecrets__0", ReferenceExpression.Create($"whsec_{webhookSigningKey.Resource}"))
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithUrlForEndpoint("http", url => url.DisplayText = "Submit page")
    .WithUrlForEndpoint("http", _ => new() { Url = "/admin", DisplayText = "Ops page" })
    .WithUrlForEndpoint("http", _ => new() { Url = "/scalar", DisplayText = "API reference (Scalar)" })
    .WithUrlForEndpoint("http", _ => new() { Url = "/openapi/v1.json", DisplayText = "OpenAPI document" });
UseSqs(api);

// Competing consumers. The processor starts after the api, which applies the database migrations. Its /health
// includes the pollers' readiness: a replica whose receive loop stopped shows as unhealthy.
var processor = builder.AddProject<Projects.AsyncRequests_Processor>("processor")
    .WithReplicas(2)
    .WithReference(servers.RequestsDb)
    .WaitFor(servers.RequestsDb)
    .WaitFor(api)
    .WithHttpHealthCheck("/health");
UseSqs(processor);

builder.Build().Run();

// Points the AWS SDK's SQS client at the emulator, with the dummy credentials it accepts. Each service creates
// the queues it needs on startup.
void UseSqs(IResourceBuilder<ProjectResource> service)
{
    withAwsRegion(service);
    service
        .WithEnvironment("AWS_ENDPOINT_URL_SQS", servers.Sqs)
        .WithEnvironment("AWS_ACCESS_KEY_ID", "test")
        .WithEnvironment("AWS_SECRET_ACCESS_KEY", "test")
        .WithEnvironment("Queue__AutoCreateQueues", "true")
        .WaitFor(servers.SqsServer);
}
