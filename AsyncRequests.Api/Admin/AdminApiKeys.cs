using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Admin;

/// <summary>
/// The configured admin keys, kept only as SHA-256 digests. Comparing fixed-length digests in constant
/// time leaks neither a key's content nor its length through response timing.
/// </summary>
public sealed class AdminApiKeys(IOptions<AdminOptions> options)
{
    private readonly byte[][] _digests = [.. options.Value.ApiKeys.Select(Digest)];

    public bool Accepts(string presented)
    {
        var digest = Digest(presented);
        var match = false;
        foreach (var known in _digests)
        {
            // No early exit: the time taken does not tell which key matched.
            match |= CryptographicOperations.FixedTimeEquals(digest, known);
        }

        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
