using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace AsyncRequests.Api.Clients;

/// <summary>How client keys, key ids and client ids are made, and how a presented key is digested.</summary>
public static class ClientKeys
{
    /// <summary>Every key starts so; a bearer token without it is not a client key (it may be a JWT).</summary>
    public const string KeyPrefix = "ar_";

    private const int KeyBytes = 32;
    private const int DisplayPrefixLength = 10;

    public sealed record NewKey(string Id, string Plaintext, byte[] Digest, string DisplayPrefix);

    public static NewKey Create()
    {
        var plaintext = KeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(KeyBytes));
        return new NewKey("key_" + RandomHex(), plaintext, Digest(plaintext), plaintext[..DisplayPrefixLength]);
    }

    public static string NewClientId() => "cl_" + RandomHex();

    /// <summary>
    /// A plain SHA-256 suffices, unlike for passwords: a key is 256 random bits, so there is no dictionary
    /// to try and a slow hash would only slow every request. Equal-length digests also make the
    /// comparison constant-time whatever the presented key's length.
    /// </summary>
    public static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Letters, digits, '_' and '-' only: what this API hands out, and nothing a database could choke on.</summary>
    public static bool IsWellFormedId(string id) =>
        id.Length is > 0 and <= AsyncRequests.Requests.Storage.ApiClient.MaxIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string RandomHex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
