using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// Standard Webhooks headers on an outgoing request: <c>webhook-signature</c> holds one
/// <c>v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c> per configured secret, so receivers
/// keep verifying while a secret is rotated.
/// </summary>
public sealed class WebhookSigner(IOptions<WebhookOptions> options)
{
    public const string SecretPrefix = "whsec_";
    public const int MinimumKeyBytes = 24;
    public const int MaximumKeyBytes = 64;

    private readonly byte[][] keys = [.. options.Value.SigningSecrets.Select(secret =>
        DecodeSecret(secret) ?? throw new InvalidOperationException("A webhook signing secret is not in the whsec_<base64> format."))];

    public void Sign(HttpRequestMessage request, string webhookId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        var unixSeconds = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signedPrefix = Encoding.UTF8.GetBytes($"{webhookId}.{unixSeconds}.");
        var signatures = new string[keys.Length];
        for (var index = 0; index < keys.Length; index++)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, keys[index]);
            hmac.AppendData(signedPrefix);
            hmac.AppendData(body);
            signatures[index] = $"v1,{Convert.ToBase64String(hmac.GetHashAndReset())}";
        }

        request.Headers.Add(WebhookHeaders.Id, webhookId);
        request.Headers.Add(WebhookHeaders.Timestamp, unixSeconds);
        request.Headers.Add(WebhookHeaders.Signature, string.Join(' ', signatures));
    }

    /// <summary>The key in a "whsec_&lt;base64&gt;" secret, or null when the secret is not in that form.</summary>
    public static byte[]? DecodeSecret(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var key = new byte[MaximumKeyBytes];
        return Convert.TryFromBase64String(secret[SecretPrefix.Length..], key, out var length) && length >= MinimumKeyBytes
            ? key[..length]
            : null;
    }
}
