namespace AsyncRequests.Api.Webhooks;

/// <summary>One attempt of one delivery; never throws for HTTP, network or refusal outcomes.</summary>
public sealed class WebhookSender(HttpClient http)
{
    public Task<WebhookAttempt> SendAsync(Uri callbackUrl, string webhookId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        Task.FromResult(new WebhookAttempt(WebhookAttemptOutcome.Permanent, null, $"Not implemented ({http.Timeout}).", null));
}
