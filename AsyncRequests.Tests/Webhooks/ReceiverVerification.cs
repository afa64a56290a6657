using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>How a receiver verifies a delivery: the recipe README shows, kept here so a test proves it.</summary>
public static class ReceiverVerification
{
    public static bool Verify(string secret, IHeaderDictionary headers, byte[] body)
    {
        string? id = headers["webhook-id"], timestamp = headers["webhook-timestamp"], signatures = headers["webhook-signature"];
        if (id is null || signatures is null || !long.TryParse(timestamp, out var sentAt)
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - sentAt) > 5 * 60)
        {
            return false; // unsigned, or older or newer than five minutes: a replay
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        byte[] signedContent = [.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body];
        var expected = HMACSHA256.HashData(key, signedContent);
        var given = new byte[64];
        foreach (var signature in signatures.Split(' '))
        {
            if (signature.Split(',', 2) is ["v1", var base64] && Convert.TryFromBase64String(base64, given, out var length)
                && CryptographicOperations.FixedTimeEquals(expected, given.AsSpan(0, length)))
            {
                return true;
            }
        }

        return false;
    }
}
