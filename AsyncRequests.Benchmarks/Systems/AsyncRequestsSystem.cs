using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.SQS.Model;
using AsyncRequests.Benchmarks.Measurement;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// AsyncRequests as deployed: the Api and the Processor as separate processes (N of each when asked) on their own
/// database and queues, with the shared SQS emulator. Migrations and queue creation are switched on by configuration.
/// </summary>
public sealed class AsyncRequestsSystem : ISystemUnderTest
{
    private const string Terminal = "('succeeded', 'failed', 'cancelled')";

    private readonly IReadOnlyList<AppProcess> _apis;
    private readonly NpgsqlDataSource _database;
    private readonly SqsServer _sqs;
    private readonly Dictionary<string, string> _settings;
    private readonly string _logDirectory;
    private readonly bool _processorAot;
    private IReadOnlyList<AppProcess> _processors;
    private DateTimeOffset _since;

    private AsyncRequestsSystem(
        IReadOnlyList<AppProcess> apis,
        IReadOnlyList<AppProcess> processors,
        NpgsqlDataSource database,
        SqsServer sqs,
        Dictionary<string, string> settings,
        string logDirectory,
        bool processorAot)
    {
        _processorAot = processorAot;
        _apis = apis;
        _processors = processors;
        _database = database;
        _sqs = sqs;
        _settings = settings;
        _logDirectory = logDirectory;
    }

    public string Name => "AsyncRequests";

    public Uri BaseAddress => _apis[0].BaseAddress;

    public IReadOnlyList<Uri> BaseAddresses => [.. _apis.Select(a => a.BaseAddress)];

    /// <summary>The key of a client made through the admin API at start; null when not asked for.</summary>
    public string? ClientKey { get; private init; }

    // The Processors and the emulator are the ones running now (no Processor while stopped): the scenarios stop and start them.
    public IReadOnlyList<NamedProcess> Processes =>
    [
        .. _apis.Select((api, i) => new NamedProcess(NamedProcess.NameOf("Api", i, _apis.Count), api.ProcessId)),
        .. _processors.Select((processor, i) => new NamedProcess(NamedProcess.NameOf("Processor", i, _processors.Count), processor.ProcessId)),
        new NamedProcess("SQS emulator", _sqs.ProcessId ?? throw new InvalidOperationException("fauxqs is not running."), IsService: false),
    ];

    public static async Task<AsyncRequestsSystem> StartAsync(
        PostgresServer postgres, SqsServer sqs, string instance, int instances, string logDirectory, bool withClientKey, bool processorAot, CancellationToken ct)
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

        // The Processors wait for the schema, which the first Api creates; the other Apis find it migrated.
        var apis = new List<AppProcess>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                apis.Add(await AppProcess.StartAsync("AsyncRequests.Api", settings, logDirectory, "/health", ct));
            }

            var clientKey = withClientKey ? await CreateClientAsync(apis[0].BaseAddress, adminKey, ct) : null;
            var processors = await AppProcess.StartManyAsync(instances, () => StartProcessorAsync(settings, logDirectory, processorAot, ct));
            return new AsyncRequestsSystem(
                apis, processors, NpgsqlDataSource.Create(PostgresStatements.Untracked(connectionString)), sqs, settings, logDirectory, processorAot)
            {
                ClientKey = clientKey,
            };
        }
        catch
        {
            await AppProcess.DisposeAllAsync(apis);
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
        if (_processors.Count == 0)
        {
            return;
        }

        await AppProcess.DisposeAllAsync(_processors);
        _processors = [];
        // fauxqs still hands messages to a killed receiver's long polls until they time out, and those messages stay
        // invisible for the visibility timeout. A restart ends those polls; the queues are empty by now.
        await _sqs.RestartAsync(ct);
    }

    // All at once, so that each drains the backlog from the same moment.
    public async Task StartWorkersAsync(CancellationToken ct)
    {
        if (_processors.Count == 0)
        {
            _processors = await AppProcess.StartManyAsync(_apis.Count, () => StartProcessorAsync(_settings, _logDirectory, _processorAot, ct));
        }
    }

    /// <summary>Stored requests whose queue message the Api has not yet sent (their outbox mark is still set).</summary>
    public Task<long> CountUnsentAsync(CancellationToken ct) => ScalarAsync<long>(
        "SELECT count(*) FROM requests WHERE published_at IS NULL AND created_at >= $1", ct);

    /// <summary>
    /// Deletes every request (with its history and webhook deliveries) and purges the request queue: the clients and
    /// their keys stay. For use with the workers stopped and the Api idle, once it has sent what it stored.
    /// </summary>
    public async Task ClearRequestsAsync(CancellationToken ct)
    {
        // TRUNCATE, not DELETE: no dead rows or bloated indexes are left behind, so every clear leaves the same state.
        await using (var truncate = _database.CreateCommand("TRUNCATE requests, status_changes CASCADE"))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }

        using var client = _sqs.CreateClient();
        var queue = await client.GetQueueUrlAsync(_settings["Queue__QueueName"], ct);
        await client.PurgeQueueAsync(queue.QueueUrl, ct);
    }

    /// <summary>All requests in the table and all messages in the request queue (visible or taken), whatever the scenario.</summary>
    public async Task<(long Requests, long Messages)> CountEverythingAsync(CancellationToken ct)
    {
        await using var count = _database.CreateCommand("SELECT count(*) FROM requests");
        var requests = (long)(await count.ExecuteScalarAsync(ct))!;
        using var client = _sqs.CreateClient();
        var queue = await client.GetQueueUrlAsync(_settings["Queue__QueueName"], ct);
        var attributes = await client.GetQueueAttributesAsync(
            new GetQueueAttributesRequest(queue.QueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]), ct);
        return (requests, (long)attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible);
    }

    public async ValueTask DisposeAsync()
    {
        await AppProcess.DisposeAllAsync(_processors);
        await AppProcess.DisposeAllAsync(_apis);
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
