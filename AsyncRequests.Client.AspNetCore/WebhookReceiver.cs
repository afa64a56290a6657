using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AsyncRequests.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Client.AspNetCore;

/// <summary>
/// One delivery from raw body to handler: verify, claim the <c>webhook-id</c>, parse, handle, and only then
/// answer 2xx and remember the id. Anything short of a handled delivery leaves the id unclaimed, so the
/// sender's retry is handled.
/// </summary>
internal sealed partial class WebhookReceiver(
    WebhookSignatureVerifier verifier,
    IWebhookDeduplicationStore store,
    IOptions<WebhookReceiverOptions> options,
    ILogger<WebhookReceiver> logger)
{
    /// <summary>How long a sender should wait before retrying a delivery that another request is handling.</summary>
    private const int InProgressRetryAfterSeconds = 5;

    private readonly int maxBodyBytes = options.Value.MaxBodyBytes;
    private readonly int toleranceSeconds = options.Value.TimestampToleranceSeconds;

    public async Task ReceiveAsync<TPayload>(HttpContext http, JsonTypeInfo<TPayload> payloadType, Func<TPayload, CancellationToken, Task> handler)
    {
        var result = await ProcessAsync(http, payloadType, handler);
        await result.ExecuteAsync(http);
    }

    private async Task<IResult> ProcessAsync<TPayload>(HttpContext http, JsonTypeInfo<TPayload> payloadType, Func<TPayload, CancellationToken, Task> handler)
    {
        var request = http.Request;
        var body = request.ContentLength > maxBodyBytes ? null : await ReadBodyAsync(request.BodyReader, maxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Webhook body too large",
                detail: $"A delivery may be at most {maxBodyBytes} bytes.");
        }

        var verification = verifier.Verify(request.Headers, body);
        string id = request.Headers[WebhookHeaders.Id]!;
        if (verification != WebhookVerification.Valid)
        {
            LogRefused(logger, id, verification);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Webhook not verified", detail: Describe(verification));
        }

        switch (await store.TryClaimAsync(id, http.RequestAborted))
        {
            case WebhookClaim.AlreadyHandled:
                LogDuplicate(logger, id);
                return TypedResults.NoContent();
            case WebhookClaim.InProgress:
                LogInProgress(logger, id);
                http.Response.Headers.RetryAfter = InProgressRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Webhook being handled",
                    detail: "Another request with this webhook-id is being handled; try again later.");
        }

        var handled = false;
        try
        {
            if (Parse(body, payloadType) is not { } payload)
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Webhook body not understood",
                    detail: $"The body is not a JSON {typeof(TPayload).Name}.");
            }

            await handler(payload, http.RequestAborted);
            handled = true;
            LogHandled(logger, id);
            return TypedResults.NoContent();
        }
        catch (Exception exception) when (!http.RequestAborted.IsCancellationRequested)
        {
            LogHandlerFailed(logger, exception, id);
            // Deliberately vague: the sender (and whoever reads its logs) needs no more than "try again".
            return TypedResults.Problem(
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Webhook handler failed",
                detail: "The delivery was not handled; it may be delivered again.");
        }
        finally
        {
            // Not the request's token: an aborted request must still give its claim up.
            if (handled)
            {
                await store.CompleteAsync(id, CancellationToken.None);
            }
            else
            {
                await store.ReleaseAsync(id, CancellationToken.None);
            }
        }
    }

    /// <summary>The whole body, or null once it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                var body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static TPayload? Parse<TPayload>(byte[] body, JsonTypeInfo<TPayload> payloadType)
    {
        try
        {
            return JsonSerializer.Deserialize(body, payloadType);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private string Describe(WebhookVerification verification) => verification switch
    {
        WebhookVerification.MissingHeaders =>
            $"The {WebhookHeaders.Id}, {WebhookHeaders.Timestamp} (Unix seconds) and {WebhookHeaders.Signature} headers are required.",
        WebhookVerification.TimestampTooOld =>
            $"The {WebhookHeaders.Timestamp} is more than {toleranceSeconds} s in the past: a stale or replayed delivery.",
        WebhookVerification.TimestampInFuture =>
            $"The {WebhookHeaders.Timestamp} is more than {toleranceSeconds} s in the future: check the sender's and this machine's clocks.",
        _ => $"No signature in {WebhookHeaders.Signature} matches a configured secret for this id, timestamp and body.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} refused: {Verification}")]
    private static partial void LogRefused(ILogger logger, string? webhookId, WebhookVerification verification);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} was handled before; answered without handling it again")]
    private static partial void LogDuplicate(ILogger logger, string webhookId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} arrived again while being handled; the sender is asked to retry")]
    private static partial void LogInProgress(ILogger logger, string webhookId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {WebhookId} handled")]
    private static partial void LogHandled(ILogger logger, string webhookId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The handler of webhook {WebhookId} failed; the sender will deliver it again")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string webhookId);
}
