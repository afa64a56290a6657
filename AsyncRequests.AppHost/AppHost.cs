using Amazon;

var builder = DistributedApplication.CreateBuilder(args);

// LocalStack emulates SQS. The tag is pinned: LocalStack's images from 4.15 on (and `latest`) need an
// account auth token, 4.12 runs without one.
var localstack = builder.AddContainer("localstack", "localstack/localstack", "4.12.0")
    .WithEnvironment("SERVICES", "sqs")
    .WithHttpEndpoint(targetPort: 4566, name: "http")
    .WithHttpHealthCheck("/_localstack/health");

var postgres = builder.AddPostgres("postgres")
    .WithDataVolume();

var requestsDb = postgres.AddDatabase("requestsdb");

// Gives both services AWS_REGION, in run mode only: a published manifest does not carry it. Nothing here
// talks to real AWS, so the startup check of real AWS credentials (an STS call from the AppHost) is switched
// off; Aspire.Hosting.AWS 13.5 has no fluent WithSdkValidation for it yet.
var awsConfig = builder.AddAWSSDKConfig()
    .WithRegion(RegionEndpoint.USEast1);
awsConfig.SDKValidationEnabled = false;

// Webhooks are signed with a Standard Webhooks secret, "whsec_" + base64 of the key. 32 letters and digits are
// the base64 of a 24-byte key. The value is generated once and kept in this AppHost's user secrets, so receivers
// keep verifying across runs; the dashboard shows it on the parameter.
var webhookSigningKey = builder.AddParameter(
    "webhook-signing-key",
    new GenerateParameterDefault { MinLength = 32, Special = false },
    secret: true,
    persist: true);

var api = builder.AddProject<Projects.AsyncRequests_Api>("api")
    .WithReference(requestsDb)
    .WaitFor(requestsDb)
    .WithEnvironment("Database__MigrateOnStartup", "true")
    .WithEnvironment("Webhooks__SigningSecrets__0", ReferenceExpression.Create($"whsec_{webhookSigningKey.Resource}"))
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithUrlForEndpoint("http", url => url.DisplayText = "Submit page")
    .WithUrlForEndpoint("http", _ => new() { Url = "/admin", DisplayText = "Ops page" })
    .WithUrlForEndpoint("http", _ => new() { Url = "/scalar", DisplayText = "API reference (Scalar)" })
    .WithUrlForEndpoint("http", _ => new() { Url = "/openapi/v1.json", DisplayText = "OpenAPI document" });
UseLocalStackSqs(api);

// Competing consumers. The processor starts after the api, which applies the database migrations. Its /health
// includes the pollers' readiness: a replica whose receive loop stopped shows as unhealthy.
var processor = builder.AddProject<Projects.AsyncRequests_Processor>("processor")
    .WithReplicas(2)
    .WithReference(requestsDb)
    .WaitFor(requestsDb)
    .WaitFor(api)
    .WithHttpHealthCheck("/health");
UseLocalStackSqs(processor);

builder.Build().Run();

// Points the AWS SDK's SQS client at LocalStack, with the dummy credentials LocalStack accepts. Each service
// creates the queues it needs on startup.
void UseLocalStackSqs(IResourceBuilder<ProjectResource> service) =>
    service
        .WithReference(awsConfig)
        .WithEnvironment("AWS_ENDPOINT_URL_SQS", localstack.GetEndpoint("http"))
        .WithEnvironment("AWS_ACCESS_KEY_ID", "test")
        .WithEnvironment("AWS_SECRET_ACCESS_KEY", "test")
        .WithEnvironment("Queue__AutoCreateQueues", "true")
        .WaitFor(localstack);
