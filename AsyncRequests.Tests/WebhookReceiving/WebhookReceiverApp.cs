using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.WebhookReceiving;

/// <summary>
/// A receiver built with AsyncRequests.Client.AspNetCore as a user would build one: real Kestrel on 127.0.0.1,
/// <c>MapAsyncRequestsWebhook("/hooks", ...)</c>. Its handler records every document it handled, can be told
/// to fail, and can be held until a test lets it go on.
/// </summary>
public sealed class WebhookReceiverApp : IAsyncDisposable
{
    /// <summary>A terminal status document as the Api sends it.</summary>
    public const string SampleStatusDocument = """
        {"id":"0193a0c4-1d2e-7f00-8000-000000000001","type":"multiply","status":"succeeded","cancelRequested":false,
         "progress":{"percent":100,"stage":null},"attempts":1,"createdAt":"2026-12-05T12:00:00Z","updatedAt":"2026-12-05T12:00:01Z",
         "startedAt":"2026-12-05T12:00:00.5Z","completedAt":"2026-12-05T12:00:01Z","result":{"product":42},
         "history":[{"status":"pending","at":"2026-12-05T12:00:00Z","attempt":0,"detail":null}],"traceId":null,
         "links":{"self":"/requests/0193a0c4-1d2e-7f00-8000-000000000001","events":"/requests/0193a0c4-1d2e-7f00-8000-000000000001/events","cancel":"/requests/0193a0c4-1d2e-7f00-8000-000000000001/cancel"}}
        """;

    private readonly WebApplication _app;
    private readonly HttpClient _http = new();
    private readonly ConcurrentQueue<RequestStatusDocument> _handled = new();
    private int _calls;
    private int _failuresLeft;

    private WebhookReceiverApp(WebApplication app)
    {
        _app = app;
        app.MapAsyncRequestsWebhook("/hooks", HandleAsync);
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Times the handler was called, failed calls included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The documents of the calls that succeeded, in order.</summary>
    public IReadOnlyList<RequestStatusDocument> Handled => [.. _handled];

    /// <summary>While set and not completed, every call waits for it.</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <param name="secrets">The receiver's <c>SigningSecrets</c>.</param>
    /// <param name="time">The receiver's clock, for one that is ahead of the Api's or behind it.</param>
    public static async Task<WebhookReceiverApp> StartAsync(string[] secrets, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAsyncRequestsWebhookReceiver(options =>
        {
            foreach (var secret in secrets)
            {
                options.SigningSecrets.Add(secret);
            }
        });
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        var receiver = new WebhookReceiverApp(builder.Build());
        await receiver._app.StartAsync(TestContext.Current.CancellationToken);
        receiver.Url = new Uri(new Uri(receiver._app.Urls.Single()), "/hooks");
        return receiver;
    }

    /// <summary>The next <paramref name="count"/> calls of the handler throw.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    /// <summary>POSTs <paramref name="body"/> to the webhook endpoint with the three webhook headers of <paramref name="headers"/>.</summary>
    public async Task<HttpResponseMessage> PostAsync(IHeaderDictionary headers, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var name in new[] { WebhookHeaders.Id, WebhookHeaders.Timestamp, WebhookHeaders.Signature })
        {
            request.Headers.Add(name, headers[name].ToString());
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        Hold?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(RequestStatusDocument document, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        if (Volatile.Read(ref _failuresLeft) > 0 && Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("The handler failed, as the test asked.");
        }

        _handled.Enqueue(document);
    }
}
