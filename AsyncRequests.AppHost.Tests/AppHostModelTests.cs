using Microsoft.Extensions.Logging.Abstractions;

namespace AsyncRequests.AppHost.Tests;

/// <summary>
/// Checks the resource graph the AppHost declares. Only the model is built: no container, service or
/// orchestrator is started, so these tests do not need Docker (run them alone with --filter Category=Model).
/// </summary>
[Trait("Category", "Model")]
public sealed class AppHostModelTests
{
    [Fact]
    public async Task The_model_declares_localstack_postgres_the_requests_database_and_both_services()
    {
        await using var builder = await CreateBuilderAsync();

        foreach (var name in new[] { "localstack", "postgres", "requestsdb", "webhook-signing-key", "api", "processor" })
        {
            Assert.Single(builder.Resources, resource => resource.Name == name);
        }
    }

    [Fact]
    public async Task LocalStack_runs_the_pinned_image_with_only_SQS_and_a_health_check()
    {
        await using var builder = await CreateBuilderAsync();
        var localstack = GetResource(builder, "localstack");

        var image = Assert.Single(localstack.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("localstack/localstack", image.Image);
        Assert.Equal("4.12.0", image.Tag);

        var endpoint = Assert.Single(localstack.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "http");
        Assert.Equal<int?>(4566, endpoint.TargetPort);
        Assert.NotEmpty(localstack.Annotations.OfType<HealthCheckAnnotation>());

        var environment = await GetEnvironmentAsync(localstack);
        Assert.Equal("sqs", environment.GetValueOrDefault("SERVICES"));
    }

    [Fact]
    public async Task The_requests_database_lives_on_postgres_whose_data_is_kept_in_a_volume()
    {
        await using var builder = await CreateBuilderAsync();

        var postgres = GetResource(builder, "postgres");
        Assert.Contains(postgres.Annotations.OfType<ContainerMountAnnotation>(), mount => mount.Type == ContainerMountType.Volume);

        var requestsDb = GetResource(builder, "requestsdb");
        Assert.True(requestsDb is IResourceWithParent { Parent.Name: "postgres" }, "requestsdb is not a database of the postgres server.");
    }

    [Theory]
    [InlineData("api")]
    [InlineData("processor")]
    public async Task A_service_gets_the_requestsdb_connection_string_and_waits_for_the_database(string serviceName)
    {
        await using var builder = await CreateBuilderAsync();
        var service = GetResource(builder, serviceName);

        var environment = await GetEnvironmentAsync(service);

        Assert.Equal("{requestsdb.connectionString}", environment.GetValueOrDefault("ConnectionStrings__requestsdb"));
        AssertWaitsUntilHealthy(service, "requestsdb");
    }

    [Theory]
    [InlineData("api")]
    [InlineData("processor")]
    public async Task A_service_uses_SQS_on_localstack_with_dummy_credentials_and_waits_for_it(string serviceName)
    {
        await using var builder = await CreateBuilderAsync();
        var service = GetResource(builder, serviceName);

        var environment = await GetEnvironmentAsync(service);

        Assert.Equal("{localstack.bindings.http.url}", environment.GetValueOrDefault("AWS_ENDPOINT_URL_SQS"));
        Assert.Equal("test", environment.GetValueOrDefault("AWS_ACCESS_KEY_ID"));
        Assert.Equal("test", environment.GetValueOrDefault("AWS_SECRET_ACCESS_KEY"));
        Assert.Equal("true", environment.GetValueOrDefault("Queue__AutoCreateQueues"));
        AssertWaitsUntilHealthy(service, "localstack");
    }

    // Both builds give the region: through Aspire.Hosting.AWS (the default), or directly with
    // -p:UseAspireHostingAws=false. The former only in run mode, so the environment is gathered for a run.
    [Theory]
    [InlineData("api")]
    [InlineData("processor")]
    public async Task A_service_gets_the_AWS_region_when_run(string serviceName)
    {
        await using var builder = await CreateBuilderAsync();
        var service = GetResource(builder, serviceName);

        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run),
            service,
            cancellationToken: TestContext.Current.CancellationToken);
        foreach (var callback in service.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        Assert.Equal("us-east-1", context.EnvironmentVariables.GetValueOrDefault("AWS_REGION")?.ToString());
    }

    // The processor's /health includes its pollers' readiness, so a replica whose receive loop stopped is unhealthy.
    [Theory]
    [InlineData("api")]
    [InlineData("processor")]
    public async Task A_service_is_health_checked_by_Aspire_on_its_health_endpoint(string serviceName)
    {
        await using var builder = await CreateBuilderAsync();

        Assert.Contains(
            GetResource(builder, serviceName).Annotations.OfType<HealthCheckAnnotation>(),
            check => check.Key.Contains("/health", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_dashboard_links_the_api_page_ops_page_API_reference_and_OpenAPI_document()
    {
        await using var builder = await CreateBuilderAsync();
        var api = (IResourceWithEndpoints)GetResource(builder, "api");
        var http = api.GetEndpoint("http");

        // What Aspire does once the endpoint is allocated: a URL for the endpoint, then the resource's URL callbacks.
        var context = new ResourceUrlsCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run),
            api,
            [new ResourceUrlAnnotation { Url = "http://localhost:5080", Endpoint = http }],
            TestContext.Current.CancellationToken);
        foreach (var callback in api.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        (string Url, string DisplayText)[] links =
        [
            ("http://localhost:5080", "Submit page"),
            ("/admin", "Ops page"),
            ("/scalar", "API reference (Scalar)"),
            ("/openapi/v1.json", "OpenAPI document"),
        ];
        foreach (var (url, displayText) in links)
        {
            Assert.Contains(context.Urls, u => u.Url == url && u.DisplayText == displayText && u.Endpoint?.EndpointName == "http");
        }
    }

    [Fact]
    public async Task The_api_migrates_the_database_and_is_reachable_from_outside()
    {
        await using var builder = await CreateBuilderAsync();
        var api = GetResource(builder, "api");

        var environment = await GetEnvironmentAsync(api);

        Assert.Equal("true", environment.GetValueOrDefault("Database__MigrateOnStartup"));
        Assert.Contains(api.Annotations.OfType<EndpointAnnotation>(), endpoint => endpoint.UriScheme == "http" && endpoint.IsExternal);
    }

    [Fact]
    public async Task The_api_signs_webhooks_with_a_generated_secret_kept_across_runs()
    {
        await using var builder = await CreateBuilderAsync();
        var key = Assert.IsType<ParameterResource>(GetResource(builder, "webhook-signing-key"));

        var environment = await GetEnvironmentAsync(GetResource(builder, "api"));

        Assert.True(key.Secret);
        Assert.NotNull(key.Default);
        Assert.Equal("whsec_{webhook-signing-key.value}", environment.GetValueOrDefault("Webhooks__SigningSecrets__0"));
    }

    [Fact]
    public async Task The_processor_runs_two_competing_replicas_that_start_once_the_api_is_healthy()
    {
        await using var builder = await CreateBuilderAsync();
        var processor = GetResource(builder, "processor");

        var replicas = Assert.Single(processor.Annotations.OfType<ReplicaAnnotation>());
        Assert.Equal(2, replicas.Replicas);
        AssertWaitsUntilHealthy(processor, "api");
    }

    private static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync() =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.AsyncRequests_AppHost>(TestContext.Current.CancellationToken);

    private static IResource GetResource(IDistributedApplicationTestingBuilder builder, string name) =>
        Assert.Single(builder.Resources, resource => resource.Name == name);

    // Gathers the environment the way Aspire does when publishing: a reference to another resource is
    // rendered as its expression (for example "{localstack.bindings.http.url}") instead of being resolved,
    // so nothing has to be running.
    private static async Task<IReadOnlyDictionary<string, string>> GetEnvironmentAsync(IResource resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(
                new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish),
                NullLogger.Instance,
                TestContext.Current.CancellationToken);

        Assert.Null(configuration.Exception);
        return configuration.EnvironmentVariables.ToDictionary();
    }

    private static void AssertWaitsUntilHealthy(IResource resource, string dependencyName) =>
        Assert.Contains(
            resource.Annotations.OfType<WaitAnnotation>(),
            wait => wait.Resource.Name == dependencyName && wait.WaitType == WaitType.WaitUntilHealthy);
}
