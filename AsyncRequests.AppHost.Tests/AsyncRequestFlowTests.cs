using System.Net.Http.Json;
using System.Text.Json;

namespace AsyncRequests.AppHost.Tests;

/// <summary>
/// Starts the whole system through the AppHost (LocalStack and PostgreSQL in Docker, the api and two processor
/// replicas) and sends one request through the asynchronous request-reply flow. Needs Docker (run it alone with
/// --filter Category=Docker).
/// </summary>
[Trait("Category", "Docker")]
public sealed class AsyncRequestFlowTests
{
    // The first run pulls the LocalStack and PostgreSQL images, which can take a few minutes.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private static readonly string[] ResourceNames = ["localstack", "postgres", "requestsdb", "api", "processor"];
    private static readonly string[] FinalStatuses = ["succeeded", "failed", "cancelled"];

    // Upper bound for the whole test, so a stuck resource fails the run instead of hanging it.
    [Fact(Timeout = 15 * 60 * 1000)]
    public async Task A_multiply_request_submitted_through_the_AppHost_completes_with_its_product()
    {
        var cancellationToken = TestContext.Current.CancellationToken;

        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.AsyncRequests_AppHost>(cancellationToken)
            .WaitAsync(StartupTimeout, cancellationToken);
        UseThrowawayDatabaseStorage(builder);

        await using var app = await builder.BuildAsync(cancellationToken).WaitAsync(StartupTimeout, cancellationToken);
        await app.StartAsync(cancellationToken).WaitAsync(StartupTimeout, cancellationToken);

        // A resource that fails to start (or exits) ends the wait at once with its state in the exception's message.
        foreach (var name in ResourceNames)
        {
            await app.ResourceNotifications
                .WaitForResourceHealthyAsync(name, WaitBehavior.StopOnResourceUnavailable, cancellationToken)
                .WaitAsync(StartupTimeout, cancellationToken);
        }

        using var client = app.CreateHttpClient("api", "http");

        using var accepted = await client.PostAsJsonAsync(
            "/requests",
            new { type = "multiply", input = new { num1 = 5, num2 = 10 } },
            cancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location;
        Assert.NotNull(location);

        var request = await PollUntilFinishedAsync(client, location, cancellationToken);

        var status = request.GetProperty("status").GetString();
        if (!string.Equals(status, "succeeded", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"The request ended as '{status}': {request}");
        }

        Assert.Equal(50m, request.GetProperty("result").GetProperty("product").GetDecimal());
    }

    // The AppHost keeps PostgreSQL data in a named volume for everyday development. The test drops that mount,
    // so every run starts from an empty database (the api applies all migrations) and never reuses a volume
    // that was initialised with another generated password.
    private static void UseThrowawayDatabaseStorage(IDistributedApplicationTestingBuilder builder)
    {
        var postgres = Assert.Single(builder.Resources, resource => resource.Name == "postgres");
        foreach (var mount in postgres.Annotations.OfType<ContainerMountAnnotation>().ToList())
        {
            postgres.Annotations.Remove(mount);
        }
    }

    // GET /requests/{id} until the request reaches a final status, waiting PollInterval between attempts.
    private static async Task<JsonElement> PollUntilFinishedAsync(HttpClient client, Uri location, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + CompletionTimeout;
        while (true)
        {
            using var response = await client.GetAsync(location, cancellationToken);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsStringAsync(cancellationToken);

            using var document = JsonDocument.Parse(body);
            var status = document.RootElement.GetProperty("status").GetString() ?? string.Empty;
            if (FinalStatuses.Contains(status, StringComparer.OrdinalIgnoreCase))
            {
                return document.RootElement.Clone();
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                Assert.Fail($"The request at {location} was still '{status}' after {CompletionTimeout}: {body}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
