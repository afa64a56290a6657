using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AsyncRequests.AppHost.Tests.LocalMode;

/// <summary>
/// The whole system through the AppHost in local mode, as `--launch-profile local` runs it: PostgreSQL and the
/// SQS emulator from this machine's binaries, the api, two processor replicas and the dashboard. Needs the
/// PostgreSQL server binaries and the emulator installed (npm ci in tools/sqs-emulator), no container engine.
/// One app serves every test, in declaration order; the last one stops it.
/// </summary>
[Trait("Category", "Local")]
[TestCaseOrderer(typeof(DeclarationOrder))]
public sealed class LocalModeTests(LocalAppFixture fixture) : IClassFixture<LocalAppFixture>
{
    // Long enough for a replica to start again and take over a killed replica's request.
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromMinutes(3);
    private static readonly string[] FinalStatuses = ["succeeded", "failed", "cancelled"];

    // What each request type's catalog example ends as: its status, and properties its result must hold. A new type
    // needs its line here. "fail" is sent in its permanent mode, which fails at once instead of after retries.
    private static readonly Dictionary<string, (string? Input, string Status, string Result)> Expectations = new()
    {
        ["multiply"] = (null, "succeeded", """{"product":50}"""),
        ["compute"] = (null, "succeeded", """{"count":5,"sum":150,"average":30,"min":10,"max":50}"""),
        ["transform"] = (null, "succeeded", """{"upper":"HELLO ASYNC WORLD","lower":"hello async world","wordCount":3,"charCount":17}"""),
        ["text-analysis"] = (null, "succeeded", """{"ocr":{"wordCount":10},"ml":{"sentiment":"positive"}}"""),
        ["fail"] = ("""{"mode":"permanent"}""", "failed", "null"),
    };

    [Fact]
    public void Every_resource_is_healthy_after_the_database_init_step_finished()
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"Start to healthy: {fixture.StartupTime.TotalSeconds:F1} s");

        var init = CurrentState(Assert.Single(fixture.Instances(Resource("postgres-init"))));
        Assert.Equal(KnownResourceStates.Finished, init.Snapshot.State?.Text);
        Assert.Equal(0, init.Snapshot.ExitCode);

        var instances = fixture.Servers().SelectMany(fixture.Instances).ToList();
        Assert.Equal(6, instances.Count); // postgres, requestsdb, sqs, api and two processor replicas
        foreach (var instance in instances)
        {
            Assert.Equal(HealthStatus.Healthy, CurrentState(instance).Snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task Each_request_type_reaches_its_terminal_state_with_the_right_result()
    {
        using var client = fixture.App.CreateHttpClient("api");
        var catalog = await client.GetFromJsonAsync<JsonArray>("/request-types", TestContext.Current.CancellationToken);
        Assert.NotNull(catalog);
        Assert.NotEmpty(catalog);

        foreach (var entry in catalog.Select(entry => entry!))
        {
            var type = entry["name"]!.GetValue<string>();
            Assert.True(Expectations.TryGetValue(type, out var expected), $"No expectation for the request type '{type}'.");
            var input = expected.Input is null ? entry["exampleInput"]!.DeepClone() : JsonNode.Parse(expected.Input);

            var request = await SubmitAndWaitAsync(client, new JsonObject { ["type"] = type, ["input"] = input });

            Assert.True(
                request["status"]!.GetValue<string>() == expected.Status && Holds(request["result"], JsonNode.Parse(expected.Result)),
                $"{type}: expected {expected.Status} with {expected.Result}, got {request.ToJsonString()}");
        }
    }

    [Fact]
    public async Task A_requests_trace_in_the_dashboard_follows_it_from_the_api_through_the_queue_to_a_processor()
    {
        using var client = fixture.App.CreateHttpClient("api");
        var request = await SubmitAndWaitAsync(client, Multiply(6, 7));
        var traceId = request["traceId"]!.GetValue<string>();

        (string Service, string Name)[] expected =
        [
            ("api", "POST /requests"),
            ("api", "send async-requests"),
            ("processor", "process async-requests"),
            ("processor", "handle multiply"),
        ];
        IReadOnlyList<(string Service, string Name, string TraceId)> spans = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                spans = await ReadTraceAsync(traceId);
                return expected.All(span => spans.Any(s => s.Service == span.Service && s.Name == span.Name));
            },
            () => $"The dashboard's trace {traceId} lacks spans; it has: {string.Join(", ", spans.Select(s => $"{s.Service}: {s.Name}"))}");

        Assert.All(spans, span => Assert.Equal(traceId, span.TraceId, ignoreCase: true));
    }

    [Fact]
    public async Task Killing_the_processor_replica_that_runs_a_request_loses_nothing()
    {
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var processor = Resource("processor");
        var replicas = fixture.Instances(processor);
        var (standby, worker) = (replicas[0], replicas[1]);

        // With one replica killed, the other one takes the request. Once it is killed too, mid-request, the first
        // one is started again and must complete the request on a second attempt.
        await KillAsync(standby);
        using var client = fixture.App.CreateHttpClient("api");
        var location = await SubmitAsync(client, Multiply(3, 4, delayMs: 20_000));
        await Eventually.HoldsAsync(
            async () => (await GetAsync(client, location))["status"]!.GetValue<string>() == "processing",
            () => $"{location} never started processing.");
        await KillAsync(worker);
        Assert.Equal("processing", (await GetAsync(client, location))["status"]!.GetValue<string>());
        await ExecuteAsync(commands, standby, KnownResourceCommands.StartCommand);

        var request = await WaitUntilFinishedAsync(client, location);
        Assert.Equal("succeeded", request["status"]!.GetValue<string>());
        Assert.Equal(12m, request["result"]!["product"]!.GetValue<decimal>());
        Assert.Equal(2, request["attempts"]!.GetValue<int>()); // the killed replica's attempt, then the restarted one's
    }

    [Fact]
    public async Task Stopping_the_AppHost_leaves_no_process_and_no_server_lock_file()
    {
        var processes = ProcessTree.StartedByThisProcess();
        Assert.Contains(processes, p => p.CommandLine.Contains("postgres -D", StringComparison.Ordinal));
        Assert.Contains(processes, p => p.CommandLine.Contains("sqs-emulator/server.mjs", StringComparison.Ordinal));
        Assert.Contains(processes, p => p.CommandLine.Contains("AsyncRequests.Api", StringComparison.Ordinal));

        await fixture.StopAsync();

        await Eventually.HoldsAsync(
            () => !processes.Any(p => p.IsRunning()),
            () => $"Still running after the AppHost stopped:\n{string.Join('\n', processes.Where(p => p.IsRunning()))}");
        Assert.False(
            File.Exists(Path.Combine(fixture.DataDirectory, "postgres", "data", "postmaster.pid")),
            "PostgreSQL left its postmaster.pid behind: it did not shut down cleanly.");
    }

    private ResourceEvent CurrentState(string instance) => fixture.State(instance);

    // Whether every property of the expected JSON is in the actual one, with the same value.
    private static bool Holds(JsonNode? actual, JsonNode? expected) =>
        expected is JsonObject properties
            ? actual is JsonObject && properties.All(property => Holds(actual[property.Key], property.Value))
            : JsonNode.DeepEquals(actual, expected);

    private IResource Resource(string name) => fixture.Resource(name);

    // SIGKILL, as in a crash, to the replica's `dotnet run` and the processor it started; then waits until Aspire
    // has seen it exit.
    private async Task KillAsync(string instance)
    {
        var properties = CurrentState(instance).Snapshot.Properties;
        var pid = properties.SingleOrDefault(property => property.Name == "executable.pid")?.Value
            ?? throw new InvalidOperationException($"No pid for {instance}: {string.Join(", ", properties.Select(p => p.Name))}");
        using (var process = Process.GetProcessById(Convert.ToInt32(pid, CultureInfo.InvariantCulture)))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        await Eventually.HoldsAsync(
            () => KnownResourceStates.TerminalStates.Contains(CurrentState(instance).Snapshot.State?.Text),
            () => $"{instance} is still {CurrentState(instance).Snapshot.State?.Text} after it was killed.");
    }

    private static async Task ExecuteAsync(ResourceCommandService commands, string instance, string command)
    {
        var result = await commands.ExecuteCommandAsync(instance, command, TestContext.Current.CancellationToken);
        Assert.True(result.Success, $"{command} on {instance} failed: {result.Message}");
    }

    private static JsonObject Multiply(int num1, int num2, int? delayMs = null) => new()
    {
        ["type"] = "multiply",
        ["input"] = new JsonObject { ["num1"] = num1, ["num2"] = num2, ["delayMs"] = delayMs },
    };

    private static async Task<Uri> SubmitAsync(HttpClient client, JsonObject submission)
    {
        using var accepted = await client.PostAsJsonAsync("/requests", submission, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return accepted.Headers.Location ?? throw new InvalidOperationException("202 without a Location.");
    }

    private static async Task<JsonNode> SubmitAndWaitAsync(HttpClient client, JsonObject submission) =>
        await WaitUntilFinishedAsync(client, await SubmitAsync(client, submission));

    private static async Task<JsonNode> WaitUntilFinishedAsync(HttpClient client, Uri location)
    {
        JsonNode request = new JsonObject();
        await Eventually.HoldsAsync(
            async () =>
            {
                request = await GetAsync(client, location);
                return FinalStatuses.Contains(request["status"]!.GetValue<string>());
            },
            () => $"{location} did not finish: {request.ToJsonString()}",
            CompletionTimeout);
        return request;
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, Uri location) =>
        await client.GetFromJsonAsync<JsonNode>(location, TestContext.Current.CancellationToken)
            ?? throw new InvalidOperationException($"{location} answered null.");

    // GET /api/telemetry/traces/{traceId} answers OTLP JSON: resourceSpans, each with its service's spans.
    private async Task<IReadOnlyList<(string Service, string Name, string TraceId)>> ReadTraceAsync(string traceId)
    {
        using var response = await fixture.Dashboard.GetAsync($"/api/telemetry/traces/{traceId}", TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return
        [
            .. from resourceSpans in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
               let service = resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                   .Single(attribute => attribute.GetProperty("key").GetString() == "service.name")
                   .GetProperty("value").GetProperty("stringValue").GetString()
               from scopeSpans in resourceSpans.GetProperty("scopeSpans").EnumerateArray()
               from span in scopeSpans.GetProperty("spans").EnumerateArray()
               select (service, span.GetProperty("name").GetString()!, span.GetProperty("traceId").GetString()!),
        ];
    }
}
