using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AsyncRequests.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Client.AspNetCore;

/// <summary>Why a delivery was refused; <see cref="Valid"/> when it was not.</summary>
public enum WebhookVerification
{
    /// <summary>Signed by one of the configured secrets, at an acceptable time.</summary>
    Valid,

    /// <summary><c>webhook-id</c>, <c>webhook-timestamp</c> or <c>webhook-signature</c> is missing, or the timestamp is not Unix seconds.</summary>
    MissingHeaders,

    /// <summary>The timestamp is older than the tolerance: a replay.</summary>
    TimestampTooOld,

    /// <summary>The timestamp is further ahead than the tolerance.</summary>
    TimestampInFuture,

    /// <summary>No <c>v1</c> signature matches any configured secret over this id, timestamp and body.</summary>
    SignatureMismatch,
}

/// <summary>
/// Verifies a Standard Webhooks signature: HMAC-SHA256 with each configured key over
/// <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>, compared in constant time with every <c>v1,</c>
/// signature of <c>webhook-signature</c>.
/// </summary>
public sealed class WebhookSignatureVerifier
{
    private const int SignatureBytes = 32;

    private readonly byte[][] keys;
    private readonly long toleranceSeconds;
    private readonly TimeProvider time;

    /// <summary>Creates a verifier for the secrets and tolerance of <paramref name="options"/>.</summary>
    public WebhookSignatureVerifier(IOptions<WebhookReceiverOptions> options, TimeProvider time)
    {
        keys = [.. options.Value.SigningSecrets.Select(secret =>
            WebhookSecret.Decode(secret) ?? throw new InvalidOperationException("A webhook signing secret is not in the whsec_<base64> format."))];
        toleranceSeconds = options.Value.TimestampToleranceSeconds;
        this.time = time;
    }

    /// <summary>Verifies the delivery made of these <paramref name="headers"/> and the raw <paramref name="body"/>.</summary>
    public WebhookVerification Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body)
    {
        string? id = headers[WebhookHeaders.Id], timestamp = headers[WebhookHeaders.Timestamp], signatures = headers[WebhookHeaders.Signature];
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(signatures)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var sentAt))
        {
            return WebhookVerification.MissingHeaders;
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (sentAt < now - toleranceSeconds)
        {
            return WebhookVerification.TimestampTooOld;
        }

        if (sentAt > now + toleranceSeconds)
        {
            return WebhookVerification.TimestampInFuture;
        }

        return Matches(id, timestamp!, signatures, body) ? WebhookVerification.Valid : WebhookVerification.SignatureMismatch;
    }

    private bool Matches(string id, string timestamp, string signatures, ReadOnlySpan<byte> body)
    {
        var signedPrefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        Span<byte> expected = stackalloc byte[SignatureBytes * keys.Length];
        for (var index = 0; index < keys.Length; index++)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, keys[index]);
            hmac.AppendData(signedPrefix);
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected.Slice(index * SignatureBytes, SignatureBytes));
        }

        Span<byte> given = stackalloc byte[SignatureBytes];
        foreach (var range in signatures.AsSpan().Split(' '))
        {
            var signature = signatures.AsSpan()[range];
            // Other versions (a future v1a, say) are skipped, as the specification asks.
            if (!signature.StartsWith("v1,") || !Convert.TryFromBase64Chars(signature[3..], given, out var length) || length != SignatureBytes)
            {
                continue;
            }

            for (var index = 0; index < keys.Length; index++)
            {
                if (CryptographicOperations.FixedTimeEquals(expected.Slice(index * SignatureBytes, SignatureBytes), given))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
