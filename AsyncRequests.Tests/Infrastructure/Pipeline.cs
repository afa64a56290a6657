using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.SQS;
using AsyncRequests.Api.Requests;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// One isolated AsyncRequests system: its own database and queues on the shared servers, the real Api
/// over HTTP, and real Processors, all in this process. Tests drive it only through HTTP and SQS and
/// read the database to check what must (or must not) have been written.
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly TimeSpan s_defaultWait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(50);

    // A child process starts cold (JIT, migrations check, queue lookup) and may share the cores with a dozen others.
    private static readonly TimeSpan s_processStartTimeout = TimeSpan.FromSeconds(120);

    private readonly Dictionary<string, string?> _settings;
    private readonly List<ServiceHost<MessageProcessor>> _processors = [];
    private readonly List<ChildProcess> _processes = [];
    private readonly List<ServiceHost<RequestSubmitter>> _extraApis = [];
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly string _logDirectory = Directory.CreateTempSubdirectory("asyncrequests-logs-").FullName;
    private ServiceHost<RequestSubmitter> _api;

    private Pipeline(Dictionary<string, string?> settings, Action<IServiceCollection>? configureServices, IAmazonSQS sqs)
    {
        _settings = settings;
        _configureServices = configureServices;
        Sqs = sqs;
        _api = ServiceHost<RequestSubmitter>.Start(settings, configureServices, overHttp: true);
        Client = _api.CreateClient();
    }

    public IReadOnlyDictionary<string, string?> Settings => _settings;

    public HttpClient Client { get; private set; }

    /// <summary>A client of the test's own, for looking at the queues from outside.</summary>
    public IAmazonSQS Sqs { get; }

    public string QueueName => Settings["Queue:QueueName"]!;

    public string DeadLetterQueueName => Settings["Queue:DeadLetterQueueName"]!;

    /// <summary>Starts a pipeline; <paramref name="settings"/> override the test defaults below.</summary>
    public static async Task<Pipeline> StartAsync(
        TestServers servers,
        int processors = 1,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null,
        SqsServer? sqs = null,
        PostgresServer? postgres = null)
    {
        var sqsServer = sqs ?? servers.Sqs;
        var name = $"t{Guid.NewGuid():N}"[..20];
        var defaults = new Dictionary<string, string?>
        {
            ["ConnectionStrings:requestsdb"] = await (postgres ?? servers.Postgres).CreateDatabaseAsync(name),
            ["AWS:ServiceURL"] = sqsServer.ServiceUrl.ToString(),
            ["AWS:Region"] = sqsServer.Region,
            ["Queue:QueueName"] = $"{name}-requests",
            ["Queue:DeadLetterQueueName"] = $"{name}-requests-dlq",
            ["Queue:AutoCreateQueues"] = "true",
            ["Queue:VisibilityTimeoutSeconds"] = "10",
            ["Database:MigrateOnStartup"] = "true",
            ["Database:MaxPoolSize"] = "20",
            ["Outbox:IntervalSeconds"] = "1",
            ["Outbox:MinimumAgeSeconds"] = "1",
            ["Processor:WaitTimeSeconds"] = "2",
            ["Processor:RetryBaseDelaySeconds"] = "0",
            ["Processor:RetryMaxDelaySeconds"] = "1",
            ["Processor:DrainTimeoutSeconds"] = "2",
            ["Webhooks:SigningSecrets:0"] = WebhookServices.Secret,
            ["Webhooks:AllowInsecureHttp"] = "true",
            ["Webhooks:AllowedHosts:0"] = "127.0.0.1",
            ["Webhooks:TimeoutSeconds"] = "5",
            ["Webhooks:FirstRetryDelayMilliseconds"] = "200",
            ["Webhooks:MaxRetryDelaySeconds"] = "1",
            ["Webhooks:PollIntervalMilliseconds"] = "100",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        Override(defaults, settings);
        var pipeline = new Pipeline(defaults, configureServices, sqsServer.CreateClient());
        for (var i = 0; i < processors; i++)
        {
            pipeline.StartProcessor();
        }

        return pipeline;
    }

    /// <param name="configureServices">Changes for this Processor only, after the pipeline's own.</param>
    public ServiceHost<MessageProcessor> StartProcessor(Action<IServiceCollection>? configureServices = null)
    {
        var processor = ServiceHost<MessageProcessor>.Start(Settings, _configureServices + configureServices, overHttp: false);
        _processors.Add(processor);
        return processor;
    }

    /// <summary>
    /// Starts a Processor as a real child process on this pipeline's settings, for tests that must
    /// kill it (SIGKILL) or stop it as an orchestrator would (SIGTERM).
    /// </summary>
    public ChildProcess StartProcessorProcess(IReadOnlyDictionary<string, string?>? overrides = null) =>
        StartChildProcess("AsyncRequests.Processor", "http://127.0.0.1:0", overrides);

    /// <summary>Starts another Api as a real child process on this pipeline's settings, without waiting for it to answer.</summary>
    public ChildProcess StartApiProcess(IReadOnlyDictionary<string, string?>? overrides = null) =>
        StartChildProcess("AsyncRequests.Api", "http://127.0.0.1:0", overrides);

    /// <summary>
    /// Starts another Api as a real child process on this pipeline's settings, for tests that must kill it
    /// (SIGKILL); returns once it answers HTTP, with a client for it. Give the <paramref name="address"/> of one
    /// killed before to restart it.
    /// </summary>
    public async Task<(ChildProcess Process, HttpClient Client)> StartApiProcessAsync(IReadOnlyDictionary<string, string?>? overrides = null, Uri? address = null)
    {
        address ??= new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var process = StartChildProcess("AsyncRequests.Api", address.ToString(), overrides);
        var client = new HttpClient { BaseAddress = address };
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    using var alive = await client.GetAsync("/alive");
                    return alive.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            () => $"The Api process did not answer /alive (exited: {process.HasExited}).",
            s_processStartTimeout);
        return (process, client);
    }

    /// <summary>Starts another in-process Api on this pipeline's database and queues, as a second instance behind a load balancer would be.</summary>
    /// <param name="configureServices">Changes for this instance only, after the pipeline's own.</param>
    public ServiceHost<RequestSubmitter> StartApi(Action<IServiceCollection>? configureServices = null)
    {
        var api = ServiceHost<RequestSubmitter>.Start(_settings, _configureServices + configureServices, overHttp: true);
        _extraApis.Add(api);
        return api;
    }

    /// <summary>Stops the pipeline's own Api, for tests that run the Api as a child process instead; <see cref="RestartApiAsync"/> brings it back.</summary>
    public async Task StopApiAsync()
    {
        Client.Dispose();
        await _api.DisposeAsync();
    }

    /// <summary>Replaces the Api with a new instance on changed settings, as a restart after a crash would.</summary>
    public async Task RestartApiAsync(IReadOnlyDictionary<string, string?> overrides)
    {
        await StopApiAsync();
        Override(_settings, overrides);
        _api = ServiceHost<RequestSubmitter>.Start(_settings, _configureServices, overHttp: true);
        Client = _api.CreateClient();
    }

    public Task<HttpResponseMessage> PostAsync(object body, string? idempotencyKey = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/requests") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            message.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Client.SendAsync(message);
    }

    /// <summary>Submits a request that must be accepted, and returns its id.</summary>
    public async Task<Guid> SubmitAsync(string type, object input)
    {
        using var response = await PostAsync(new { type, input });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<SubmissionAccepted>(JsonOptions);
        return accepted!.Id;
    }

    public async Task<RequestStatusDocument> GetAsync(Guid id) =>
        (await Client.GetFromJsonAsync<RequestStatusDocument>($"/requests/{id}", JsonOptions))!;

    /// <summary>The status document, or null while the Api answers 503 (a polling client retries then).</summary>
    private async Task<RequestStatusDocument?> PollAsync(Guid id)
    {
        using var response = await Client.GetAsync($"/requests/{id}");
        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<RequestStatusDocument>(JsonOptions);
    }

    /// <summary>Polls the status document until <paramref name="condition"/> holds; fails with the last document if it never does.</summary>
    public async Task<RequestStatusDocument> WaitUntilAsync(Guid id, Func<RequestStatusDocument, bool> condition, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultWait);
        var document = await PollAsync(id);
        while (document is null || !condition(document))
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Request {id} did not reach the expected state in time; last seen: {JsonSerializer.Serialize(document, JsonOptions)}");
            }

            await Task.Delay(s_pollInterval, CancellationToken.None);
            document = await PollAsync(id);
        }

        return document;
    }

    public Task<RequestStatusDocument> WaitForTerminalAsync(Guid id, TimeSpan? timeout = null) =>
        WaitUntilAsync(id, d => d.Status.IsTerminal(), timeout);

    /// <summary>Waits until a queue holds no message at all, visible or in flight.</summary>
    public async Task WaitUntilQueueIsEmptyAsync(string queueName, TimeSpan? timeout = null)
    {
        var queueUrl = (await Sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultWait);
        while (true)
        {
            var attributes = await Sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            if (attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible == 0)
            {
                return;
            }

            Assert.False(deadline.IsCancellationRequested, $"Queue {queueName} still holds messages.");
            await Task.Delay(s_pollInterval, CancellationToken.None);
        }
    }

    /// <summary>A context on the pipeline's own database, to check what was (not) written.</summary>
    public RequestsDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<RequestsDbContext>().UseNpgsql(Settings["ConnectionStrings:requestsdb"]).Options);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (var processor in _processors)
        {
            await processor.DisposeAsync();
        }

        foreach (var api in _extraApis)
        {
            await api.DisposeAsync();
        }

        Client.Dispose();
        await _api.DisposeAsync();
        Sqs.Dispose();
        Directory.Delete(_logDirectory, recursive: true);
    }

    private ChildProcess StartChildProcess(string service, string urls, IReadOnlyDictionary<string, string?>? overrides)
    {
        var settings = new Dictionary<string, string?>(_settings);
        Override(settings, overrides);
        var environment = settings
            .Where(s => s.Value is not null)
            .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["ASPNETCORE_URLS"] = urls;
        environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        environment["Logging__LogLevel__Default"] = "Information";
        environment["AWS_ACCESS_KEY_ID"] = "test";
        environment["AWS_SECRET_ACCESS_KEY"] = "test";

        var process = ChildProcess.Start(
            Path.Combine(AppContext.BaseDirectory, service),
            [],
            AppContext.BaseDirectory,
            Path.Combine(_logDirectory, $"{service}-{_processes.Count + 1}.log"),
            environment);
        _processes.Add(process);
        return process;
    }

    private static void Override(Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? overrides)
    {
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }
}
