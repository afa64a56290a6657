using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// A receiver of webhooks: real HTTP on 127.0.0.1 in the test process, on an ephemeral port or one of the
/// test's choosing (so it can be down, then up). It records every request with its method, path, headers and
/// body, and answers each path with the status codes a test scripted, then with the test's own answer (200 if
/// none). It notices one webhook-id received twice at once.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly Func<HttpContext, Task> _answer;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Answer>> _answers = new();
    private readonly ConcurrentDictionary<string, int> _inProgress = new();
    private int _overlaps;

    private CallbackReceiver(WebApplication app, Func<HttpContext, Task> answer)
    {
        _app = app;
        _answer = answer;
        app.Run(ReceiveAsync);
    }

    public int Port { get; private set; }

    /// <summary>How long each answer takes, to keep attempts in flight.</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>Times one webhook-id was being received while an earlier POST of it was still in progress.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    public IReadOnlyList<ReceivedRequest> All => [.. _received];

    /// <param name="port">A fixed port, or none for an ephemeral one.</param>
    /// <param name="answer">Answers what no scripted answer covers: redirects, hanging answers, odd headers.</param>
    public static async Task<CallbackReceiver> StartAsync(int? port = null, Func<HttpContext, Task>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port ?? 0));
        var receiver = new CallbackReceiver(builder.Build(), answer ?? (_ => Task.CompletedTask));
        await receiver._app.StartAsync(TestContext.Current.CancellationToken);
        receiver.Port = new Uri(receiver._app.Urls.Single()).Port;
        return receiver;
    }

    /// <summary>The URL of <paramref name="path"/> (relative to the root) through <paramref name="host"/>.</summary>
    public Uri UrlFor(string path, string host = "127.0.0.1") => new($"http://{host}:{Port}/{path}");

    /// <summary>The next requests to <paramref name="path"/> get these answers, in order; later ones get the test's answer.</summary>
    public void AnswerWith(string path, params Answer[] answers)
    {
        var queue = _answers.GetOrAdd(path, _ => new ConcurrentQueue<Answer>());
        foreach (var answer in answers)
        {
            queue.Enqueue(answer);
        }
    }

    public IReadOnlyList<ReceivedRequest> ReceivedAt(string path) => [.. _received.Where(r => r.Path == path)];

    public Task WaitUntilAsync(Func<CallbackReceiver, bool> condition, string what) =>
        Eventually.HoldsAsync(() => condition(this), () => $"The receiver never saw {what}; it got {_received.Count} requests.", s_wait);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext http)
    {
        var path = http.Request.Path.Value!.TrimStart('/');
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        var id = http.Request.Headers["webhook-id"].ToString();
        if (_inProgress.AddOrUpdate(id, 1, (_, count) => count + 1) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        try
        {
            await Task.Delay(AnswerDelay);
            _received.Enqueue(new ReceivedRequest(http.Request.Method, path, new HeaderDictionary(http.Request.Headers.ToDictionary()), body.ToArray()));
            if (_answers.TryGetValue(path, out var queue) && queue.TryDequeue(out var answer))
            {
                if (answer.RetryAfter is { } retryAfter)
                {
                    http.Response.Headers.RetryAfter = retryAfter;
                }

                http.Response.StatusCode = answer.StatusCode;
            }
            else
            {
                await _answer(http);
            }
        }
        finally
        {
            _inProgress.AddOrUpdate(id, 0, (_, count) => count - 1);
        }
    }

    public sealed record Answer(int StatusCode, string? RetryAfter = null)
    {
        public static implicit operator Answer(int statusCode) => new(statusCode);
    }
}

/// <summary>One request as the receiver got it; <see cref="Path"/> is relative to the root, as in <c>UrlFor</c>.</summary>
public sealed record ReceivedRequest(string Method, string Path, IHeaderDictionary Headers, byte[] Body)
{
    public string Id => Headers["webhook-id"].ToString();
}
