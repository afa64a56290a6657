using System.Net;
using System.Net.Http.Json;
using System.Text;
using AsyncRequests.Tests.Infrastructure;
using AsyncRequests.Tests.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.WebhookReceiving;

/// <summary>
/// The real Api and Processor delivering real webhooks to a receiver built with AsyncRequests.Client.AspNetCore,
/// over HTTP on 127.0.0.1; the Api retries 200 ms apart at first and treats a 4xx as final.
/// </summary>
public sealed class WebhookReceiverTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delivery_from_the_api_is_verified_and_its_typed_status_document_handled_once()
    {
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);

        var id = await SubmitAsync(pipeline, receiver.Url);
        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        var handled = Assert.Single(receiver.Handled);
        Assert.Equal(id, handled.Id);
        Assert.Equal(RequestStatus.Succeeded, handled.Status);
        Assert.Equal(42, handled.Result!.Value.GetProperty("product").GetInt32());
        Assert.Equal(done.History, handled.History);
        Assert.Equal(1, receiver.Calls);
        Assert.Equal((1, 204), (done.Webhook!.Attempts, done.Webhook.LastStatusCode));
    }

    [Theory]
    [InlineData(WebhookServices.OtherSecret, 0)]
    [InlineData(WebhookServices.Secret, 6 * 60)]
    [InlineData(WebhookServices.Secret, -6 * 60)]
    public async Task A_delivery_signed_with_another_secret_or_sent_outside_the_tolerance_is_refused_with_401_and_never_handled(
        string receiverSecret, int receiverClockAheadSeconds)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(receiverClockAheadSeconds));
        await using var receiver = await WebhookReceiverApp.StartAsync([receiverSecret], clock);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);

        var id = await SubmitAsync(pipeline, receiver.Url);
        var failed = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Failed);

        Assert.Equal((1, 401), (failed.Webhook!.Attempts, failed.Webhook.LastStatusCode));
        Assert.Equal(0, receiver.Calls);
    }

    [Fact]
    public async Task A_tampered_body_or_id_is_refused_with_a_problem_and_a_replayed_delivery_is_handled_once()
    {
        await using var recorder = await CallbackReceiver.StartAsync();
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await SubmitAsync(pipeline, recorder.UrlFor("recorded"));
        await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);
        var delivery = Assert.Single(recorder.ReceivedAt("recorded"));

        var tamperedBody = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(delivery.Body).Replace("\"product\":42", "\"product\":43", StringComparison.Ordinal));
        Assert.NotEqual(delivery.Body, tamperedBody);
        using (var tampered = await receiver.PostAsync(delivery.Headers, tamperedBody))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
            var problem = await tampered.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation);
            Assert.Equal("Webhook not verified", problem!.Title);
            Assert.Contains("No signature in webhook-signature matches", problem.Detail, StringComparison.Ordinal);
        }

        var otherId = new HeaderDictionary(delivery.Headers.ToDictionary()) { [WebhookHeaders.Id] = "msg_not_the_signed_one" };
        using (var refused = await receiver.PostAsync(otherId, delivery.Body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var replayed = await receiver.PostAsync(delivery.Headers, delivery.Body);
            answers.Add(replayed.StatusCode);
        }

        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.NoContent], answers);
        Assert.Equal(id, Assert.Single(receiver.Handled).Id);
        Assert.Equal(1, receiver.Calls);
    }

    [Fact]
    public async Task A_duplicate_arriving_while_the_first_is_handled_is_asked_to_retry_later_and_then_answered_without_handling()
    {
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        receiver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = Encoding.UTF8.GetBytes(WebhookReceiverApp.SampleStatusDocument);
        var headers = ApiSignatures.Sign(body, DateTimeOffset.UtcNow, WebhookServices.Secret);

        var first = receiver.PostAsync(headers, body);
        await Eventually.HoldsAsync(() => receiver.Calls == 1, () => "The first delivery never reached the handler.");
        using (var during = await receiver.PostAsync(headers, body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), during.Headers.RetryAfter!.Delta);
        }

        receiver.Hold.SetResult();
        using (var firstAnswer = await first)
        {
            Assert.Equal(HttpStatusCode.NoContent, firstAnswer.StatusCode);
        }

        using var after = await receiver.PostAsync(headers, body);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
        Assert.Single(receiver.Handled);
        Assert.Equal(1, receiver.Calls);
    }

    [Fact]
    public async Task A_signed_body_that_is_not_a_status_document_is_a_400_problem_and_its_id_stays_unhandled()
    {
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        var notADocument = Encoding.UTF8.GetBytes("""{"status":""");
        var document = Encoding.UTF8.GetBytes(WebhookReceiverApp.SampleStatusDocument);

        using (var refused = await receiver.PostAsync(ApiSignatures.Sign(notADocument, DateTimeOffset.UtcNow, WebhookServices.Secret), notADocument))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("Webhook body not understood", (await refused.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Title);
        }

        using var handled = await receiver.PostAsync(ApiSignatures.Sign(document, DateTimeOffset.UtcNow, WebhookServices.Secret), document);
        Assert.Equal(HttpStatusCode.NoContent, handled.StatusCode);
        Assert.Single(receiver.Handled);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem_and_never_handled()
    {
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        var body = new byte[1_048_577];

        using var refused = await receiver.PostAsync(ApiSignatures.Sign(body, DateTimeOffset.UtcNow, WebhookServices.Secret), body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("Webhook body too large", (await refused.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Title);
        Assert.Equal(0, receiver.Calls);
    }

    [Theory]
    [InlineData(new[] { WebhookServices.Secret }, new[] { WebhookServices.OtherSecret, WebhookServices.Secret })]
    [InlineData(new[] { WebhookServices.Secret, WebhookServices.OtherSecret }, new[] { WebhookServices.OtherSecret })]
    [InlineData(new[] { WebhookServices.OtherSecret }, new[] { WebhookServices.OtherSecret, WebhookServices.Secret })]
    public async Task During_a_secret_rotation_the_old_and_the_new_secret_are_both_accepted(string[] apiSecrets, string[] receiverSecrets)
    {
        await using var receiver = await WebhookReceiverApp.StartAsync(receiverSecrets);
        var settings = new Dictionary<string, string?> { ["Webhooks:SigningSecrets:0"] = apiSecrets[0] };
        if (apiSecrets.Length > 1)
        {
            settings["Webhooks:SigningSecrets:1"] = apiSecrets[1];
        }

        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: settings);

        var id = await SubmitAsync(pipeline, receiver.Url);
        await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        Assert.Equal(id, Assert.Single(receiver.Handled).Id);
    }

    [Fact]
    public async Task A_handler_that_fails_gets_the_delivery_again_from_the_api_and_handles_it_once()
    {
        await using var receiver = await WebhookReceiverApp.StartAsync([WebhookServices.Secret]);
        receiver.FailNext(1);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);

        var id = await SubmitAsync(pipeline, receiver.Url);
        var done = await pipeline.WaitUntilAsync(id, d => d.Webhook?.State == WebhookState.Delivered);

        Assert.Equal((2, 204), (done.Webhook!.Attempts, done.Webhook.LastStatusCode));
        Assert.Equal(2, receiver.Calls);
        Assert.Equal(id, Assert.Single(receiver.Handled).Id);
    }

    private static async Task<Guid> SubmitAsync(Infrastructure.Pipeline pipeline, Uri callbackUrl)
    {
        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 6, num2 = 7 }, callbackUrl });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, Cancellation))!.Id;
    }
}
