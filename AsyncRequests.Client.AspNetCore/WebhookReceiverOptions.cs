namespace AsyncRequests.Client.AspNetCore;

/// <summary>
/// How <see cref="Microsoft.AspNetCore.Builder.WebhookEndpointRouteBuilderExtensions.MapAsyncRequestsWebhook"/> verifies and de-duplicates
/// deliveries. Validated when the application starts.
/// </summary>
public sealed class WebhookReceiverOptions
{
    /// <summary>
    /// The signing secrets, each <c>whsec_</c> followed by the base64 of 24 to 64 bytes, as the AsyncRequests
    /// Api is configured with (<c>Webhooks:SigningSecrets</c>). A delivery is accepted when it carries a valid
    /// signature by any one of them, so list the old and the new secret while rotating.
    /// </summary>
    public IList<string> SigningSecrets { get; } = [];

    /// <summary>
    /// How far a delivery's <c>webhook-timestamp</c> may be from this machine's clock, in either direction,
    /// before it is refused as a replay (older) or forged (newer). Standard Webhooks suggests five minutes.
    /// </summary>
    public int TimestampToleranceSeconds { get; set; } = 300;

    /// <summary>
    /// How long a handled <c>webhook-id</c> is remembered, so that a redelivery within it is answered 2xx without
    /// calling the handler again. The Api retries a delivery for up to <c>Webhooks:GiveUpAfterMinutes</c>
    /// (a day by default); the default here is a little longer.
    /// </summary>
    public int DeduplicationWindowMinutes { get; set; } = 1_500;

    /// <summary>
    /// At most this many handled ids are kept by the in-memory store; past it, the oldest is forgotten first.
    /// Size it above the deliveries you receive within <see cref="DeduplicationWindowMinutes"/>.
    /// </summary>
    public int MaxRememberedIds { get; set; } = 100_000;

    /// <summary>Larger bodies are refused with 413 before they are read.</summary>
    public int MaxBodyBytes { get; set; } = 1_048_576;
}
