namespace AsyncRequests.Api.Webhooks;

/// <summary>Standard Webhooks headers on an outgoing request.</summary>
public sealed class WebhookSigner
{
    public void Sign(HttpRequestMessage request, string webhookId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
    }
}
