using System.Buffers;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// One attempt of one delivery: a signed POST whose answer is classified for the dispatcher. It never
/// throws for HTTP, network or refusal outcomes, only when <c>cancellationToken</c> is cancelled.
/// </summary>
public sealed class WebhookSender(HttpClient http, WebhookSigner signer, TimeProvider time, IOptions<WebhookOptions> options)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<WebhookAttempt> SendAsync(Uri callbackUrl, string webhookId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, callbackUrl) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = Json;
        signer.Sign(request, webhookId, time.GetUtcNow(), body.Span);

        // One deadline for the whole attempt: headers and the bounded read of the body.
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            await DiscardBodyAsync(response, settings.ResponseBodyLimitBytes, attempt.Token);
            return Classify(response);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(WebhookAttemptOutcome.Retryable, null, $"timed out after {settings.TimeoutSeconds} s", null);
        }
        catch (HttpRequestException exception) when (FindRefusal(exception) is { } refusal)
        {
            return new(WebhookAttemptOutcome.Permanent, null, $"refused: the host resolves to {refusal.Address}, which is not a public address", null);
        }
        catch (HttpRequestException exception)
        {
            return new(WebhookAttemptOutcome.Retryable, null, DescribeNetworkError(exception), null);
        }
    }

    private WebhookAttempt Classify(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        return status switch
        {
            >= 200 and < 300 => new(WebhookAttemptOutcome.Delivered, status, null, null),
            429 or 503 => new(WebhookAttemptOutcome.Retryable, status, $"HTTP {status}", RetryAfter(response)),
            408 or >= 500 => new(WebhookAttemptOutcome.Retryable, status, $"HTTP {status}", null),
            >= 300 and < 400 => new(WebhookAttemptOutcome.Permanent, status, $"HTTP {status}: redirects are not followed", null),
            _ => new(WebhookAttemptOutcome.Permanent, status, $"HTTP {status}", null),
        };
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > time.GetUtcNow() ? date - time.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };

    // Reading a little lets a short answer end cleanly and the connection be reused; the rest is never
    // read: disposing the response then closes the connection (MaxResponseDrainSize is 0).
    private static async Task DiscardBodyAsync(HttpResponseMessage response, int limitBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limitBytes);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            for (var total = 0; total < limitBytes;)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, limitBytes - total), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException or OperationCanceledException)
        {
            // The status line has arrived, and it is what counts; a body cut short changes nothing.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static CallbackAddressRefusedException? FindRefusal(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is CallbackAddressRefusedException refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    // Built from enums, never from exception messages, so the stored text stays short and predictable.
    private static string DescribeNetworkError(HttpRequestException exception)
    {
        var socketError = exception.InnerException as SocketException ?? exception.InnerException?.InnerException as SocketException;
        return socketError is null
            ? $"network error: {exception.HttpRequestError}"
            : $"network error: {exception.HttpRequestError} ({socketError.SocketErrorCode})";
    }
}
