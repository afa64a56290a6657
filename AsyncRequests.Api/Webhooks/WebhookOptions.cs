using System.ComponentModel.DataAnnotations;
using System.Net;

namespace AsyncRequests.Api.Webhooks;

/// <summary>Signed callbacks to a request's <c>callbackUrl</c>; without a signing secret they are off.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>"whsec_" + base64 of 24 to 64 key bytes; several while rotating, and every one signs.</summary>
    public string[] SigningSecrets { get; set; } = [];

    /// <summary>Allows http:// callback URLs (Development and tests); production wants https only.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Host names or IP literals exempt from the public-address rule, matched exactly, ignoring case.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>One attempt: resolving, connecting, sending and reading the (bounded) answer.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>At most this much of a response is read, then it is dropped.</summary>
    [Range(1, 1_048_576)]
    public int ResponseBodyLimitBytes { get; set; } = 1024;

    [Range(1, 86_400_000)]
    public int FirstRetryDelayMilliseconds { get; set; } = 5_000;

    [Range(1, 604_800)]
    public int MaxRetryDelaySeconds { get; set; } = 3_600;

    /// <summary>About a day.</summary>
    [Range(1, 525_600)]
    public int GiveUpAfterMinutes { get; set; } = 1_440;

    /// <summary>
    /// Attempts of one delivery, the first included; after the last it fails. Bounds a receiver that
    /// keeps failing within <see cref="GiveUpAfterMinutes"/>; with the defaults the give-up time comes first.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxAttempts { get; set; } = 50;

    /// <summary>
    /// Attempts under way at once to one destination (scheme, host and port), across all Api instances:
    /// a receiver that hangs holds at most this many sending slots, and the others go to everyone else.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxConcurrentPerDestination { get; set; } = 4;

    [Range(1, 3_600_000)]
    public int PollIntervalMilliseconds { get; set; } = 1_000;

    /// <summary>Deliveries one dispatcher instance sends at once.</summary>
    [Range(1, 1_000)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Without a secret, a callbackUrl is refused at submit.</summary>
    public bool Enabled => SigningSecrets.Length > 0;

    /// <summary>Whether <paramref name="host"/> (a URL's host, IPv6 in brackets or not) is listed in <see cref="AllowedHosts"/>.</summary>
    public bool AllowsHost(string host)
    {
        var bare = host.Trim('[', ']');
        return AllowedHosts.Any(allowed => IPAddress.TryParse(bare, out var address) && IPAddress.TryParse(allowed.Trim('[', ']'), out var allowedAddress)
            ? address.Equals(allowedAddress)
            : string.Equals(allowed, bare, StringComparison.OrdinalIgnoreCase));
    }
}
