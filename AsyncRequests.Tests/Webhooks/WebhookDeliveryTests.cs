using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>
/// Webhooks end to end: the real Api and Processor, the delivery recorded with the terminal transition,
/// the Api's dispatcher sending it to a real HTTP receiver on 127.0.0.1 (retries 200 ms apart at first).
/// </summary>
public sealed class WebhookDeliveryTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_receiver_failing_twice_gets_the_same_signed_delivery_three_times_and_it_ends_delivered()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("flaky", 500, 500);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);

        var id = await SubmitAsync(pipeline, receiver.UrlFor("flaky"));
        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        var received = receiver.ReceivedAt("flaky");
        Assert.Equal(3, received.Count);
        Assert.Single(received.Select(r => r.Id).Distinct());
        Assert.StartsWith("msg_", received[0].Id, StringComparison.Ordinal);
        Assert.Single(received.Select(r => Convert.ToBase64String(r.Body)).Distinct());
        Assert.Equal("application/json", received[0].Headers.ContentType);
        Assert.All(received, r => Assert.True(ReceiverVerification.Verify(WebhookServices.Secret, r.Headers, r.Body)));
        Assert.Equal(new WebhookDocument(WebhookState.Delivered, 3, done.Webhook!.LastAttemptAt, 200, null, null), done.Webhook);

        // The body is the terminal status document, without the webhook member that describes this delivery.
        var body = JsonSerializer.Deserialize<RequestStatusDocument>(received[0].Body, Infrastructure.Pipeline.JsonOptions)!;
        Assert.Equal(id, body.Id);
        Assert.Equal(RequestStatus.Succeeded, body.Status);
        Assert.Equal(42, body.Result!.Value.GetProperty("product").GetInt32());
        Assert.Null(body.Webhook);
        Assert.Equal(done.History, body.History);
    }

    [Fact]
    public async Task Cancelling_a_pending_request_delivers_its_cancelled_status_document()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await SubmitAsync(pipeline, receiver.UrlFor("cancelled"));

        using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, Cancellation);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        var body = JsonSerializer.Deserialize<RequestStatusDocument>(Assert.Single(receiver.ReceivedAt("cancelled")).Body, Infrastructure.Pipeline.JsonOptions)!;
        Assert.Equal(RequestStatus.Cancelled, body.Status);
    }

    [Fact]
    public async Task A_receiver_that_is_down_gets_the_delivery_once_it_is_back()
    {
        var port = FreePort.Next();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await SubmitAsync(pipeline, new Uri($"http://127.0.0.1:{port}/back"));

        var failing = await pipeline.WaitUntilAsync(id, d => d.Webhook is { Attempts: >= 2, LastError: not null });
        Assert.Equal(WebhookState.Pending, failing.Webhook!.State);
        Assert.Contains("network error", failing.Webhook.LastError, StringComparison.Ordinal);
        await using var receiver = await CallbackReceiver.StartAsync(port);

        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered, TimeSpan.FromSeconds(60));
        Assert.Single(receiver.ReceivedAt("back"));
        Assert.True(done.Webhook!.Attempts > failing.Webhook.Attempts);
    }

    [Fact]
    public async Task A_permanent_410_ends_the_delivery_failed_without_another_try()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("gone", 410);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);

        var gone = await SubmitAsync(pipeline, receiver.UrlFor("gone"));
        var failed = await pipeline.WaitUntilAsync(gone, d => d.Webhook?.State == WebhookState.Failed);
        Assert.Equal(1, failed.Webhook!.Attempts);
        Assert.Equal(410, failed.Webhook.LastStatusCode);
        Assert.Equal("HTTP 410", failed.Webhook.LastError);

        // A retry would have been due within 200 ms; this one is sent a second later, so it comes after it.
        var later = await SubmitAsync(pipeline, receiver.UrlFor("later"), new { num1 = 1, num2 = 2, delayMs = 1000 });
        await pipeline.WaitUntilAsync(later, d => d.Webhook?.State == WebhookState.Delivered);
        Assert.Single(receiver.ReceivedAt("gone"));
    }

    [Theory]
    [InlineData("http://10.0.0.1/hooks")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://192.168.1.20:8080/hooks")]
    [InlineData("not a url")]
    [InlineData("http://127.0.0.1:0/hooks")]
    public async Task A_callback_url_to_a_private_address_or_no_url_is_refused_at_submit_and_nothing_is_stored(string callbackUrl)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 1, num2 = 2 }, callbackUrl });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        Assert.Equal(["callbackUrl"], problem!.Errors.Keys);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(0, await db.Requests.CountAsync(Cancellation));
    }

    [Fact]
    public async Task A_callback_url_that_is_not_a_string_is_a_validation_problem_naming_it()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 1, num2 = 2 }, callbackUrl = 42 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        Assert.Equal(["callbackUrl"], problem!.Errors.Keys);
    }

    [Fact]
    public async Task A_stored_callback_whose_host_now_resolves_to_loopback_is_refused_at_connect_and_never_sent()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await SubmitAsync(pipeline, receiver.UrlFor("rebound"));

        // Stands for DNS that changed after the submit: "localhost" is not an allowed host, 127.0.0.1 is.
        await using (var db = pipeline.CreateDbContext())
        {
            var rebound = receiver.UrlFor("rebound", host: "localhost").ToString();
            await db.Database.ExecuteSqlAsync($"UPDATE requests SET callback_url = {rebound} WHERE id = {id}", Cancellation);
        }

        pipeline.StartProcessor();
        var failed = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Failed);

        Assert.StartsWith("refused", failed.Webhook!.LastError, StringComparison.Ordinal);
        Assert.Equal(1, failed.Webhook.Attempts);
        Assert.Empty(receiver.All);
    }

    [Fact]
    public async Task A_processor_killed_right_after_finishing_still_leads_to_exactly_one_delivery()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var processor = pipeline.StartProcessorProcess();
        var id = await SubmitAsync(pipeline, receiver.UrlFor("after-kill"));

        await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60));
        await processor.KillAsync();

        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Single(receiver.ReceivedAt("after-kill"));
    }

    [Fact]
    public async Task Two_api_instances_share_the_deliveries_and_never_send_one_twice_at_once()
    {
        const int count = 24;
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerDelay = TimeSpan.FromMilliseconds(200);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Webhooks:BatchSize"] = "4",
        });
        await using var secondApi = ServiceHost<RequestSubmitter>.Start(pipeline.Settings, null, overHttp: true);
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await SubmitAsync(pipeline, receiver.UrlFor($"shared-{i}")));
        }

        pipeline.StartProcessor();
        await receiver.WaitUntilAsync(r => r.All.Select(w => w.Id).Distinct().Count() == count, $"{count} webhooks");
        foreach (var id in ids)
        {
            await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);
        }

        Assert.Equal(count, receiver.All.Count);
        Assert.Equal(0, receiver.Overlaps);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(count, await db.WebhookDeliveries.CountAsync(d => d.State == WebhookState.Delivered && d.Attempts == 1, Cancellation));
    }

    [Fact]
    public async Task An_idempotent_replay_with_another_callback_url_is_a_422_and_with_the_same_one_a_replay()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var input = new { num1 = 6, num2 = 7 };
        using var first = await pipeline.PostAsync(new { type = "multiply", input, callbackUrl = receiver.UrlFor("first") }, idempotencyKey: "hooked");

        using var same = await pipeline.PostAsync(new { type = "multiply", input, callbackUrl = receiver.UrlFor("first") }, idempotencyKey: "hooked");
        using var other = await pipeline.PostAsync(new { type = "multiply", input, callbackUrl = receiver.UrlFor("other") }, idempotencyKey: "hooked");
        using var none = await pipeline.PostAsync(new { type = "multiply", input }, idempotencyKey: "hooked");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.True(same.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, none.StatusCode);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(receiver.UrlFor("first").ToString(), await db.Requests.Select(r => r.CallbackUrl).SingleAsync(Cancellation));
    }

    [Fact]
    public async Task A_retry_after_beyond_the_give_up_time_fails_the_delivery_with_the_reason()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("busy", new CallbackReceiver.Answer(503, RetryAfter: "120"));
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Webhooks:GiveUpAfterMinutes"] = "1",
            ["Webhooks:MaxRetryDelaySeconds"] = "3600",
        });

        var id = await SubmitAsync(pipeline, receiver.UrlFor("busy"));
        var failed = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Failed);

        Assert.Equal("Gave up after attempt 1: a retry would come after the give-up time (1 min after the request finished); last error: HTTP 503", failed.Webhook!.LastError);
        Assert.Equal(503, failed.Webhook.LastStatusCode);
        Assert.Single(receiver.ReceivedAt("busy"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("Wed, 21 Oct 2015 07:28:00 GMT")]
    public async Task A_retry_after_of_zero_or_in_the_past_does_not_shorten_the_backoff(string retryAfter)
    {
        await using var receiver = await CallbackReceiver.StartAsync(answer: http =>
        {
            http.Response.Headers.RetryAfter = retryAfter;
            http.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Webhooks:FirstRetryDelayMilliseconds"] = "60000",
            ["Webhooks:MaxRetryDelaySeconds"] = "60",
        });

        var id = await SubmitAsync(pipeline, receiver.UrlFor("busy"));
        await pipeline.WaitUntilAsync(id, d => d.Webhook is { Attempts: 1, LastStatusCode: 503 });

        // The backoff's first step is 60 s, taken between half and all of it.
        var delivery = await SingleDeliveryAsync(pipeline);
        Assert.Equal(WebhookState.Pending, delivery.State);
        Assert.InRange(delivery.NextAttemptAt - delivery.LastAttemptAt!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90));
        Assert.Single(receiver.ReceivedAt("busy"));
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_longest_retry_delay_is_cut_to_it()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.AnswerWith("busy", new CallbackReceiver.Answer(503, RetryAfter: "7200"));
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Webhooks:FirstRetryDelayMilliseconds"] = "60000",
            ["Webhooks:MaxRetryDelaySeconds"] = "600",
        });

        var id = await SubmitAsync(pipeline, receiver.UrlFor("busy"));
        await pipeline.WaitUntilAsync(id, d => d.Webhook is { Attempts: 1, LastStatusCode: 503 });

        var delivery = await SingleDeliveryAsync(pipeline);
        Assert.Equal(WebhookState.Pending, delivery.State);
        Assert.InRange(delivery.NextAttemptAt - delivery.LastAttemptAt!.Value, TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(660));
    }

    [Fact]
    public async Task A_receiver_that_keeps_failing_gets_at_most_max_attempts_then_the_delivery_fails_with_the_reason()
    {
        await using var receiver = await CallbackReceiver.StartAsync(answer: http =>
        {
            http.Response.Headers.RetryAfter = "0";
            http.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Webhooks:MaxAttempts"] = "3",
        });

        var id = await SubmitAsync(pipeline, receiver.UrlFor("always-busy"));
        var failed = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Failed);

        Assert.Equal(3, failed.Webhook!.Attempts);
        Assert.Equal("Gave up after attempt 3 of 3 (Webhooks:MaxAttempts); last error: HTTP 503", failed.Webhook.LastError);
        Assert.Equal(3, receiver.ReceivedAt("always-busy").Count);
    }

    [Fact]
    public async Task A_hanging_receiver_with_200_pending_deliveries_does_not_hold_up_another_receivers_delivery()
    {
        const int hangingCount = 200;
        using var release = new CancellationTokenSource();
        await using var hanging = await CallbackReceiver.StartAsync(answer: http => Task.Delay(Timeout.Infinite, release.Token));
        await using var healthy = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Webhooks:TimeoutSeconds"] = "120",
            ["Webhooks:BatchSize"] = "8",
            ["Webhooks:MaxConcurrentPerDestination"] = "2",
        });
        try
        {
            var stuck = new List<Guid>();
            for (var i = 0; i < hangingCount; i++)
            {
                stuck.Add(await SubmitAsync(pipeline, hanging.UrlFor($"slow-{i}")));
            }

            await CancelAsync(pipeline, stuck);
            await hanging.WaitUntilAsync(r => r.All.Count >= 2, "the first two attempts");

            var fast = await SubmitAsync(pipeline, healthy.UrlFor("fast"));
            await CancelAsync(pipeline, [fast]);
            await pipeline.WaitUntilAsync(fast, d => d.Webhook?.State == WebhookState.Delivered);

            Assert.Single(healthy.ReceivedAt("fast"));
            await using var db = pipeline.CreateDbContext();
            Assert.Equal(hangingCount, await db.WebhookDeliveries.CountAsync(d => stuck.Contains(d.RequestId) && d.State == WebhookState.Pending, Cancellation));
            Assert.Equal(2, hanging.All.Count);
        }
        finally
        {
            await release.CancelAsync();
        }
    }

    [Fact]
    public async Task The_status_document_shows_a_pending_webhook_before_the_end_never_the_url_and_nothing_without_one()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var callbackUrl = receiver.UrlFor("secret-token-in-path");
        var hooked = await SubmitAsync(pipeline, callbackUrl);
        var plain = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });

        var hookedJson = await pipeline.Client.GetStringAsync($"/requests/{hooked}", Cancellation);
        var plainJson = await pipeline.Client.GetStringAsync($"/requests/{plain}", Cancellation);

        Assert.Equal(WebhookDocument.NotYetDue, (await pipeline.GetAsync(hooked)).Webhook);
        Assert.DoesNotContain("secret-token-in-path", hookedJson, StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(plainJson).RootElement.TryGetProperty("webhook", out _));
    }

    [Fact]
    public async Task A_request_retried_by_an_admin_gets_a_new_delivery_for_its_new_outcome_and_the_old_one_is_superseded()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: AdminKeys.Settings(new()
        {
            ["Webhooks:FirstRetryDelayMilliseconds"] = "60000",
            ["Webhooks:MaxRetryDelaySeconds"] = "60",
        }));
        receiver.AnswerWith("retried", 500);
        var id = await SubmitAsync(pipeline, receiver.UrlFor("retried"), new { mode = "permanent" }, type: "fail");
        await pipeline.WaitUntilAsync(id, d => d.Webhook is { State: WebhookState.Pending, Attempts: 1, LastStatusCode: 500 });

        using var retry = await pipeline.Client.AsAdmin().PostAsync($"/admin/requests/{id}/retry", null, Cancellation);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        await receiver.WaitUntilAsync(r => r.ReceivedAt("retried").Count == 2, "the retried request's webhook");
        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        Assert.Equal(1, done.Webhook!.Attempts);
        var received = receiver.ReceivedAt("retried");
        Assert.NotEqual(received[0].Id, received[1].Id);
        await using var db = pipeline.CreateDbContext();
        var superseded = await db.WebhookDeliveries.SingleAsync(d => d.Id == received[0].Id, Cancellation);
        Assert.Equal(WebhookState.Failed, superseded.State);
        Assert.StartsWith("Superseded", superseded.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dispatcher_keeps_polling_through_a_broken_schema_and_delivers_once_it_is_fixed()
    {
        var logs = new CapturedLogs();
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, configureServices: logs.AddTo);

        // Not an outage: a query that can never succeed until someone fixes the schema.
        await using (var db = pipeline.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE webhook_deliveries RENAME COLUMN next_attempt_at TO next_attempt_at_renamed", Cancellation);
            await logs.WaitForAsync(e => e.Category.EndsWith("WebhookDispatcher", StringComparison.Ordinal)
                && e.Exception is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UndefinedColumn });
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE webhook_deliveries RENAME COLUMN next_attempt_at_renamed TO next_attempt_at", Cancellation);
        }

        var id = await SubmitAsync(pipeline, receiver.UrlFor("after-repair"));
        await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered, TimeSpan.FromSeconds(60));
        Assert.Single(receiver.ReceivedAt("after-repair"));
    }

    private static async Task<WebhookDelivery> SingleDeliveryAsync(Infrastructure.Pipeline pipeline)
    {
        await using var db = pipeline.CreateDbContext();
        return await db.WebhookDeliveries.AsNoTracking().SingleAsync(Cancellation);
    }

    private static async Task CancelAsync(Infrastructure.Pipeline pipeline, IEnumerable<Guid> ids)
    {
        foreach (var id in ids)
        {
            using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, Cancellation);
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
    }

    private static async Task<Guid> SubmitAsync(Infrastructure.Pipeline pipeline, Uri callbackUrl, object? input = null, string type = "multiply")
    {
        using var response = await pipeline.PostAsync(new { type, input = input ?? new { num1 = 6, num2 = 7 }, callbackUrl });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, Cancellation))!.Id;
    }
}
