namespace AsyncRequests.Client.AspNetCore;

/// <summary>The key in a Standard Webhooks secret, <c>whsec_</c> followed by base64, in the sizes the Api accepts.</summary>
internal static class WebhookSecret
{
    public const string Prefix = "whsec_";
    public const int MinimumKeyBytes = 24;
    public const int MaximumKeyBytes = 64;

    /// <summary>The key, or null when <paramref name="secret"/> is not in that form.</summary>
    public static byte[]? Decode(string? secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var key = new byte[MaximumKeyBytes];
        return Convert.TryFromBase64String(secret[Prefix.Length..], key, out var length) && length >= MinimumKeyBytes
            ? key[..length]
            : null;
    }
}
