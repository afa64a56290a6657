using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// AsyncRequests as deployed: the Api and the Processor as separate processes on their own database and
/// queues, with the shared SQS emulator. Migrations and queue creation are switched on by configuration.
/// </summary>
public sealed class AsyncRequestsSystem : ISystemUnderTest
{
    private const string Terminal = "('succeeded', 'failed', 'cancelled')";

    private readonly AppProcess _api;
    private readonly NpgsqlDataSource _database;
    private readonly SqsServer _sqs;
    private readonly Dictionary<string, string> _settings;
    private readonly string _logDirectory;
    private readonly bool _processorAot;
    private AppProcess? _processor;
    private DateTimeOffset _since;

    private AsyncRequestsSystem(
        AppProcess api, AppProcess processor, NpgsqlDataSource database, SqsServer sqs, Dictionary<string, string> settings, string logDirectory, bool processorAot)
    {
        _processorAot = processorAot;
        _api = api;
        _processor = processor;
        _database = database;
        _sqs = sqs;
        _settings = settings;
        _logDirectory = logDirectory;
    }

    public string Name => "AsyncRequests";

    public Uri BaseAddress => _api.BaseAddress;

    /// <summary>The key of a client made through the admin API at start; null when not asked for.</summary>
    public string? ClientKey { get; private init; }

    // The Processor and the emulator are the ones running now (none while stopped): the scenarios stop and start them.
    public IReadOnlyList<NamedProcess> Processes =>
    [
        new NamedProcess("Api", _api.ProcessId),
        .. _processor is null ? [] : new[] { new NamedProcess("Processor", _processor.ProcessId) },
        new NamedProcess("SQS emulator", _sqs.ProcessId ?? throw new InvalidOperationException("fauxqs is not running."), IsService: false),
    ];

    public static async Task<AsyncRequestsSystem> StartAsync(
        PostgresServer postgres, SqsServer sqs, string instance, string logDirectory, bool withClientKey, bool processorAot, CancellationToken ct)
    {
        await postgres.CreateDatabaseAsync(instance, ct);
        // What an Aspire database resource hands a service: no pool settings, the service's own defaults apply.
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = postgres.Port,
            Username = PostgresServer.Superuser,
            Database = instance,
        }.ConnectionString;
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__requestsdb"] = connectionString,
            ["AWS_REGION"] = sqs.Region,
            ["AWS_ENDPOINT_URL_SQS"] = sqs.ServiceUrl.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "test",
            ["AWS_SECRET_ACCESS_KEY"] = "test",
            ["Queue__QueueName"] = $"{instance}-requests",
            ["Queue__DeadLetterQueueName"] = $"{instance}-requests-dlq",
            ["Queue__AutoCreateQueues"] = "true",
            ["Database__MigrateOnStartup"] = "true",

            // Production requires client keys by default; the baseline has none, so the load is the anonymous client's.
            ["Clients__RequireAuthentication"] = "false",
        };
        var adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        if (withClientKey)
        {
            settings["Admin__ApiKeys__0"] = adminKey;
        }

        // The Processor waits for the schema, which the Api creates.
        var api = await AppProcess.StartAsync("AsyncRequests.Api", settings, logDirectory, "/health", ct);
        try
        {
            var clientKey = withClientKey ? await CreateClientAsync(api.BaseAddress, adminKey, ct) : null;
            var processor = await StartProcessorAsync(settings, logDirectory, processorAot, ct);
            return new AsyncRequestsSystem(api, processor, NpgsqlDataSource.Create(connectionString), sqs, settings, logDirectory, processorAot)
            {
                ClientKey = clientKey,
            };
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public Task BeginScenarioAsync(CancellationToken ct)
    {
        _since = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }

    public Task<long> CountStoredAsync(CancellationToken ct) => ScalarAsync<long>(
        "SELECT count(*) FROM requests WHERE created_at >= $1", ct);

    public Task<long> CountUnfinishedAsync(CancellationToken ct) => ScalarAsync<long>(
        $"SELECT count(*) FROM requests WHERE created_at >= $1 AND status NOT IN {Terminal}", ct);

    public Task<Outcomes> ReadOutcomesAsync(CancellationToken ct) => Queries.OutcomesAsync(
        _database,
        """
        SELECT count(*),
               count(*) FILTER (WHERE status = 'succeeded' AND succeeded = 1),
               count(*) FILTER (WHERE succeeded > 1),
               count(*) FILTER (WHERE status <> 'succeeded'),
               count(*) FILTER (WHERE processing > 1)
        FROM (SELECT r.status,
                     count(*) FILTER (WHERE c.status = 'succeeded') AS succeeded,
                     count(*) FILTER (WHERE c.status = 'processing') AS processing
              FROM requests r LEFT JOIN status_changes c ON c.request_id = r.id
              WHERE r.created_at >= $1
              GROUP BY r.id, r.status) AS per_request
        """,
        _since,
        ct);

    public Task<IReadOnlyList<(double StartMs, double DoneMs)>> ReadLatenciesAsync(CancellationToken ct) => Queries.LatenciesAsync(
        _database,
        """
        SELECT extract(epoch FROM started_at - created_at)::float8 * 1000,
               extract(epoch FROM completed_at - created_at)::float8 * 1000
        FROM requests WHERE created_at >= $1 AND status = 'succeeded'
        """,
        _since,
        ct);

    public Task<double> ReadCompletionSpanSecondsAsync(CancellationToken ct) => ScalarAsync<double>(
        "SELECT coalesce(extract(epoch FROM max(completed_at) - min(created_at))::float8, 0) FROM requests WHERE created_at >= $1", ct);

    public Task<(DateTimeOffset First, DateTimeOffset Last)> ReadCompletionTimesAsync(CancellationToken ct) => Queries.TimesAsync(
        _database,
        "SELECT extract(epoch FROM min(completed_at))::float8, extract(epoch FROM max(completed_at))::float8 FROM requests WHERE created_at >= $1",
        _since,
        ct);

    public async Task StopWorkersAsync(CancellationToken ct)
    {
        if (_processor is null)
        {
            return;
        }

        await _processor.DisposeAsync();
        _processor = null;
        // fauxqs still hands messages to a killed receiver's long polls until they time out, and those messages stay
        // invisible for the visibility timeout. A restart (the queues persist) ends those polls.
        await _sqs.StopAsync();
        await _sqs.StartAgainAsync(ct);
    }

    public async Task StartWorkersAsync(CancellationToken ct) => _processor ??= await StartProcessorAsync(_settings, _logDirectory, _processorAot, ct);

    public async ValueTask DisposeAsync()
    {
        if (_processor is not null)
        {
            await _processor.DisposeAsync();
        }

        await _api.DisposeAsync();
        await _database.DisposeAsync();
    }

    // As an operator would: POST /admin/clients with the admin key; the answer holds the new client's key.
    private static async Task<string> CreateClientAsync(Uri api, string adminKey, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = api };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.PostAsJsonAsync("/admin/clients", new { name = "benchmark" }, ct);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return created.GetProperty("key").GetString() ?? throw new InvalidOperationException("POST /admin/clients answered no key.");
    }

    private static Task<AppProcess> StartProcessorAsync(Dictionary<string, string> settings, string logDirectory, bool aot, CancellationToken ct) =>
        AppProcess.StartAsync("AsyncRequests.Processor", settings, logDirectory, "/health", ct, nativeAot: aot);

    private Task<T> ScalarAsync<T>(string sql, CancellationToken ct) => Queries.ScalarAsync<T>(_database, sql, _since, ct);
}
