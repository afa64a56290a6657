using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// The receiver of a pipeline's webhooks: real HTTP on 127.0.0.1 in the test process, on a port of the
/// test's choosing (so it can be down, then up). It records every POST with its headers and body, answers
/// each path with the status codes a test scripted (then 200), and notices one webhook-id received twice at once.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Answer>> _answers = new();
    private readonly ConcurrentDictionary<string, int> _inProgress = new();
    private int _overlaps;

    private CallbackReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        app.MapPost("/{**path}", ReceiveAsync);
    }

    public int Port { get; }

    /// <summary>How long each answer takes, to keep attempts in flight.</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>Times one webhook-id was being received while an earlier POST of it was still in progress.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    public IReadOnlyList<ReceivedWebhook> All => [.. _received];

    public static async Task<CallbackReceiver> StartAsync(int? port = null)
    {
        var chosen = port ?? FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, chosen));
        var receiver = new CallbackReceiver(builder.Build(), chosen);
        await receiver._app.StartAsync();
        return receiver;
    }

    public Uri UrlFor(string path) => new($"http://127.0.0.1:{Port}/{path}");

    /// <summary>The next POSTs to <paramref name="path"/> get these answers, in order; later ones get 200.</summary>
    public void AnswerWith(string path, params Answer[] answers)
    {
        var queue = _answers.GetOrAdd(path, _ => new ConcurrentQueue<Answer>());
        foreach (var answer in answers)
        {
            queue.Enqueue(answer);
        }
    }

    public IReadOnlyList<ReceivedWebhook> ReceivedAt(string path) => [.. _received.Where(r => r.Path == path)];

    public async Task WaitUntilAsync(Func<CallbackReceiver, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(s_wait);
        while (!condition(this))
        {
            Assert.False(deadline.IsCancellationRequested, $"The receiver never saw {what}; it got {_received.Count} POSTs.");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext http, string path)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var id = http.Request.Headers["webhook-id"].ToString();
        if (_inProgress.AddOrUpdate(id, 1, (_, count) => count + 1) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        try
        {
            await Task.Delay(AnswerDelay);
            _received.Enqueue(new ReceivedWebhook(path, new HeaderDictionary(http.Request.Headers.ToDictionary()), http.Request.ContentType, body.ToArray()));
            var answer = _answers.TryGetValue(path, out var queue) && queue.TryDequeue(out var next) ? next : new Answer(200);
            if (answer.RetryAfter is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = retryAfter;
            }

            http.Response.StatusCode = answer.StatusCode;
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

public sealed record ReceivedWebhook(string Path, IHeaderDictionary Headers, string? ContentType, byte[] Body)
{
    public string Id => Headers["webhook-id"].ToString();
}
