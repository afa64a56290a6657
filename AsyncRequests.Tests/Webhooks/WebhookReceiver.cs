using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>A real HTTP server on 127.0.0.1 that records what it receives and answers as the test says.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private WebhookReceiver(WebApplication app, Func<HttpContext, Task> answer)
    {
        this.app = app;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path, new HeaderDictionary(context.Request.Headers.ToDictionary()), body.ToArray()));
            await answer(context);
        });
    }

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public int Port { get; private set; }

    public Uri Url(string path, string host = "127.0.0.1") => new($"http://{host}:{Port}{path}");

    public static async Task<WebhookReceiver> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var receiver = new WebhookReceiver(builder.Build(), answer);
        await receiver.app.StartAsync(TestContext.Current.CancellationToken);
        receiver.Port = new Uri(receiver.app.Urls.Single()).Port;
        return receiver;
    }

    public static Task<WebhookReceiver> AnsweringAsync(int statusCode) =>
        StartAsync(context =>
        {
            context.Response.StatusCode = statusCode;
            return Task.CompletedTask;
        });

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

public sealed record ReceivedRequest(string Method, string Path, IHeaderDictionary Headers, byte[] Body);
