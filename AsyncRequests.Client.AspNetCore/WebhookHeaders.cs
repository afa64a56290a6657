namespace AsyncRequests.Client.AspNetCore;

/// <summary>The Standard Webhooks headers of a delivery.</summary>
public static class WebhookHeaders
{
    /// <summary>The delivery's id, the same on every retry: the key for de-duplication.</summary>
    public const string Id = "webhook-id";

    /// <summary>Unix seconds of this attempt.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary>One or more <c>v1,&lt;base64&gt;</c> signatures, separated by spaces.</summary>
    public const string Signature = "webhook-signature";
}
