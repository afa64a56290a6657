using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using AsyncRequests.Api.Webhooks;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>One attempt against a real receiver on loopback, through the HttpClient the Api registers.</summary>
public sealed class WebhookSenderTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"0b0e5b52-8d7f-4f54-a0c5-9c1f2f0c6d11","status":"Succeeded"}""");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delivery_arrives_as_a_signed_json_post_that_the_documented_recipe_verifies()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("hooks", StatusCodes.Status204NoContent);
        var settings = WebhookServices.Settings();
        settings["Webhooks:SigningSecrets:1"] = WebhookServices.OtherSecret;
        using var host = WebhookServices.Build(settings);

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_0b0e5b52", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Delivered, 204, null, null), attempt);
        var request = Assert.Single(receiver.All);
        Assert.Equal(("POST", "hooks"), (request.Method, request.Path));
        Assert.Equal(Body, request.Body);
        Assert.Equal("application/json", request.Headers.ContentType);
        Assert.StartsWith("AsyncRequests", request.Headers.UserAgent.ToString(), StringComparison.Ordinal);
        Assert.Equal("msg_0b0e5b52", request.Headers["webhook-id"]);
        Assert.Equal(2, request.Headers["webhook-signature"].ToString().Split(' ').Length);
        Assert.True(ReceiverVerification.Verify(WebhookServices.Secret, request.Headers, request.Body));
        Assert.True(ReceiverVerification.Verify(WebhookServices.OtherSecret, request.Headers, request.Body));
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, request.Headers, [.. request.Body, (byte)' ']));
    }

    [Fact]
    public async Task The_timestamp_is_the_time_providers_now_in_unix_seconds()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var now = new DateTimeOffset(2026, 3, 1, 12, 30, 45, TimeSpan.Zero);
        using var host = WebhookServices.Build(WebhookServices.Settings(), new FakeTimeProvider(now));

        await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), Assert.Single(receiver.All).Headers["webhook-timestamp"]);
    }

    [Fact]
    public async Task A_500_is_retryable_and_the_client_itself_sends_exactly_one_request()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("hooks", StatusCodes.Status500InternalServerError);
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Retryable, 500, "HTTP 500", null), attempt);
        Assert.Single(receiver.All);
    }

    [Theory]
    [InlineData(StatusCodes.Status408RequestTimeout)]
    [InlineData(StatusCodes.Status502BadGateway)]
    public async Task Timeouts_and_server_errors_are_retryable(int status)
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("hooks", status);
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal((WebhookAttemptOutcome.Retryable, status), (attempt.Outcome, attempt.StatusCode));
    }

    [Fact]
    public async Task A_429_with_retry_after_in_seconds_is_retryable_after_that_delay()
    {
        await using var receiver = await CallbackReceiver.StartAsync(answer: context =>
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "120";
            return Task.CompletedTask;
        });
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Retryable, 429, "HTTP 429", TimeSpan.FromSeconds(120)), attempt);
    }

    [Fact]
    public async Task A_503_with_retry_after_as_a_date_is_retryable_until_that_date()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 30, 45, TimeSpan.Zero);
        await using var receiver = await CallbackReceiver.StartAsync(answer: context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = now.AddSeconds(90).ToString("R", CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        using var host = WebhookServices.Build(WebhookServices.Settings(), new FakeTimeProvider(now));

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Retryable, 503, "HTTP 503", TimeSpan.FromSeconds(90)), attempt);
    }

    [Theory]
    [InlineData(StatusCodes.Status410Gone)]
    [InlineData(StatusCodes.Status400BadRequest)]
    [InlineData(StatusCodes.Status404NotFound)]
    public async Task Other_client_errors_are_permanent(int status)
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("hooks", status);
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Permanent, status, $"HTTP {status}", null), attempt);
        Assert.Single(receiver.All);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_is_permanent()
    {
        await using var receiver = await CallbackReceiver.StartAsync(answer: context =>
        {
            context.Response.Redirect($"http://{context.Request.Host}/target");
            return Task.CompletedTask;
        });
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("redirect"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Permanent, 302, "HTTP 302: redirects are not followed", null), attempt);
        Assert.Equal(["redirect"], receiver.All.Select(request => request.Path));
    }

    // A raw socket, not Kestrel, answers here: Kestrel accepts writes silently for a while after the client
    // has gone, while a socket's send fails as soon as the peer resets, so its count is a true bound.
    [Fact]
    public async Task An_endless_response_body_is_not_read_beyond_the_limit()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var bytesSent = SendEndlessAnswerAsync(listener);
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Delivered, 200, null, null), attempt);
        // The sender dropped the connection after its 1 KiB: the receiver got no further than what the
        // socket buffers held. A sender reading on would have taken gigabytes before its deadline.
        Assert.InRange(await bytesSent.WaitAsync(TimeSpan.FromSeconds(60), Cancellation), 0, 64 * 1024 * 1024);
    }

    private static async Task<long> SendEndlessAnswerAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync(Cancellation);
        // The request is read to its end (the body comes last), so the answer does not race its sending.
        var request = new List<byte>();
        var buffer = new byte[4096];
        while (!CollectionsMarshal.AsSpan(request).EndsWith(Body))
        {
            var read = await socket.ReceiveAsync(buffer, Cancellation);
            Assert.NotEqual(0, read);
            request.AddRange(buffer.AsSpan(0, read));
        }

        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"u8.ToArray(), Cancellation);
        var chunk = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (true)
            {
                sent += await socket.SendAsync(chunk, Cancellation);
            }
        }
        catch (SocketException)
        {
            return sent;
        }
    }

    // The receiver listens on 127.0.0.1, and only that literal is allowed: "localhost" (a name resolving
    // to loopback, as a rebound name would) and other loopback literals must not get through at connect.
    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.2")]
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task A_host_that_resolves_to_loopback_is_refused_at_connect_unless_allowed(string callbackHost)
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var logs = new CapturedLogs();
        using var host = WebhookServices.Build(WebhookServices.Settings("127.0.0.1"), logs: logs);

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks", callbackHost), "msg_1", Body, Cancellation);

        Assert.Equal(WebhookAttemptOutcome.Permanent, attempt.Outcome);
        Assert.Null(attempt.StatusCode);
        Assert.Matches("^refused: the host resolves to [0-9a-f.:]+, which is not a public address$", attempt.Error);
        Assert.Empty(receiver.All);
        Assert.Contains(logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Category == typeof(CallbackAddressGuard).FullName);
    }

    [Fact]
    public async Task A_name_listed_in_allowed_hosts_is_reached_even_on_loopback()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        using var host = WebhookServices.Build(WebhookServices.Settings("LocalHost"));

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks", host: "localhost"), "msg_1", Body, Cancellation);

        Assert.Equal(WebhookAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Single(receiver.All);
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_in_time_is_retryable()
    {
        await using var receiver = await CallbackReceiver.StartAsync(answer: context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        var settings = WebhookServices.Settings();
        settings["Webhooks:TimeoutSeconds"] = "1";
        using var host = WebhookServices.Build(settings);

        var attempt = await host.Sender().SendAsync(receiver.UrlFor("hooks"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Retryable, null, "timed out after 1 s", null), attempt);
    }

    [Fact]
    public async Task A_refused_connection_is_retryable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var host = WebhookServices.Build(WebhookServices.Settings());

        var attempt = await host.Sender().SendAsync(new Uri($"http://127.0.0.1:{closedPort}/"), "msg_1", Body, Cancellation);

        Assert.Equal(new WebhookAttempt(WebhookAttemptOutcome.Retryable, null, "network error: ConnectionError (ConnectionRefused)", null), attempt);
    }
}
