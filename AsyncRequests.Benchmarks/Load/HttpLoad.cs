using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AsyncRequests.Benchmarks.Measurement;

namespace AsyncRequests.Benchmarks.Load;

/// <summary>
/// The in-process load generator: the end-to-end and light-load scenarios (which need exact counts of
/// accepted requests), and the accept scenario where wrk is not wanted. One keep-alive connection per
/// concurrent sender, as wrk does. Given several base addresses (one per accepting process), it sends each
/// request to the next of them in turn, as a round-robin load balancer would (a sender then keeps a
/// connection to each).
/// </summary>
public sealed class HttpLoad : IDisposable
{
    public const string MultiplyBody = """{"type":"multiply","input":{"num1":6,"num2":7}}""";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _client;
    private readonly Progress _progress;
    private readonly IReadOnlyList<Uri> _targets;
    private int _next = -1;

    public HttpLoad(Uri baseAddress, int connections, Progress progress, string? bearerToken = null)
        : this([baseAddress], connections, progress, bearerToken)
    {
    }

    public HttpLoad(IReadOnlyList<Uri> baseAddresses, int connections, Progress progress, string? bearerToken = null)
    {
        _targets = baseAddresses;
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (bearerToken is not null)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        _progress = progress;
    }

    /// <summary>Closed loop: each of <paramref name="connections"/> senders sends its next request when the last one is answered.</summary>
    public async Task<LoadResult> RunForAsync(string path, bool post, int connections, TimeSpan duration, CancellationToken ct)
    {
        var cpuBefore = ProcessStats.CpuSecondsOf(Environment.ProcessId);
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var senders = Enumerable.Range(0, connections).Select(_ => Task.Run(
            async () =>
            {
                var tally = new Tally();
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await _client.SendAsync(CreateRequest(path, post).Request, ct);
                        tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                        if (!response.IsSuccessStatusCode)
                        {
                            tally.Non2xx++;
                        }
                    }
                    catch (Exception e) when (IsSocketError(e, ct))
                    {
                        tally.SocketErrors++;
                    }

                    _progress.CountRequest();
                }

                return tally;
            },
            ct));
        var tallies = await Task.WhenAll(senders);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var latencies = tallies.SelectMany(t => t.LatenciesMs).ToArray();
        return new LoadResult(
            latencies.Length,
            seconds,
            Statistics.Percentile(latencies, 50),
            Statistics.Percentile(latencies, 99),
            tallies.Sum(t => t.Non2xx),
            tallies.Sum(t => t.SocketErrors),
            ProcessStats.CpuSecondsOf(Environment.ProcessId) - cpuBefore);
    }

    /// <summary>
    /// Submits exactly <paramref name="count"/> multiply requests from <paramref name="concurrency"/> senders.
    /// A 503 is retried after its Retry-After, as a well-behaved client would; anything else that is not a
    /// 202 counts as failed and is not retried (it may have been stored).
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(int count, int concurrency, CancellationToken ct)
    {
        var next = 0;
        long accepted = 0, retried = 0, failed = 0;
        var acceptedBy = new long[_targets.Count];
        string? firstFailure = null;
        var senders = Enumerable.Range(0, concurrency).Select(_ => Task.Run(
            async () =>
            {
                while (Interlocked.Increment(ref next) <= count)
                {
                    while (true)
                    {
                        var outcome = await SubmitOnceAsync(ct);
                        if (outcome is not { } retryAfter)
                        {
                            break;
                        }

                        Interlocked.Increment(ref retried);
                        await Task.Delay(retryAfter, ct);
                    }
                }
            },
            ct));

        async Task<TimeSpan?> SubmitOnceAsync(CancellationToken token)
        {
            try
            {
                var (request, target) = CreateRequest("/requests", post: true);
                using var response = await _client.SendAsync(request, token);
                _progress.CountRequest();
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Accepted:
                        Interlocked.Increment(ref accepted);
                        Interlocked.Increment(ref acceptedBy[target]);
                        return null;
                    case HttpStatusCode.ServiceUnavailable:
                        return RetryDelay(response);
                    default:
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstFailure, $"HTTP {(int)response.StatusCode}", null);
                        return null;
                }
            }
            catch (Exception e) when (IsSocketError(e, token))
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstFailure, $"{e.GetType().Name}: {e.Message}", null);
                return null;
            }
        }

        await Task.WhenAll(senders);
        return new SubmitResult(accepted, retried, failed, firstFailure) { AcceptedByTarget = acceptedBy };
    }

    /// <summary>Open loop: one submission every 1/<paramref name="ratePerSecond"/> s whether or not earlier ones were answered.</summary>
    public async Task<SubmitResult> SubmitAtRateAsync(double ratePerSecond, TimeSpan duration, CancellationToken ct)
    {
        var count = (int)Math.Round(ratePerSecond * duration.TotalSeconds);
        var started = Stopwatch.GetTimestamp();
        var submissions = new List<Task<string?>>(count);
        var acceptedBy = new long[_targets.Count];
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / ratePerSecond) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }

            submissions.Add(SubmitOnceAsync(ct));
        }

        var failures = await Task.WhenAll(submissions);
        return new SubmitResult(failures.Count(f => f is null), 0, failures.Count(f => f is not null), failures.FirstOrDefault(f => f is not null))
        {
            AcceptedByTarget = acceptedBy,
        };

        // Null when accepted, otherwise what went wrong.
        async Task<string?> SubmitOnceAsync(CancellationToken token)
        {
            try
            {
                var (request, target) = CreateRequest("/requests", post: true);
                using var response = await _client.SendAsync(request, token);
                _progress.CountRequest();
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    return $"HTTP {(int)response.StatusCode}";
                }

                Interlocked.Increment(ref acceptedBy[target]);
                return null;
            }
            catch (Exception e) when (IsSocketError(e, token))
            {
                return $"{e.GetType().Name}: {e.Message}";
            }
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A request to the next base address in turn, and that address's index.</summary>
    private (HttpRequestMessage Request, int Target) CreateRequest(string path, bool post)
    {
        var target = (int)((uint)Interlocked.Increment(ref _next) % (uint)_targets.Count);
        var uri = new Uri(_targets[target], path);
        var request = post
            ? new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(MultiplyBody, Json) }
            : new HttpRequestMessage(HttpMethod.Get, uri);
        return (request, target);
    }

    private static TimeSpan RetryDelay(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta && delta < TimeSpan.FromSeconds(1) ? delta : TimeSpan.FromSeconds(1);

    // A timeout shows as a TaskCanceledException that the caller's token did not cause.
    private static bool IsSocketError(Exception e, CancellationToken ct) =>
        e is HttpRequestException or SocketException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    private sealed class Tally
    {
        public List<double> LatenciesMs { get; } = [];

        public long Non2xx { get; set; }

        public long SocketErrors { get; set; }
    }
}
