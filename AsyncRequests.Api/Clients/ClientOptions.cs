using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Clients;

public sealed class ClientOptions
{
    public const string SectionName = "Clients";

    /// <summary>
    /// Whether a caller of the request routes must authenticate. Unset: required everywhere but in
    /// Development, where a caller without credentials is the built-in client <c>anonymous</c>.
    /// </summary>
    public bool? RequireAuthentication { get; set; }

    /// <summary>
    /// How long an Api instance trusts what it last read about a key. This bounds how long a revoked key
    /// or a disabled client still gets in, on every instance.
    /// </summary>
    [Range(0, 300)]
    public int KeyCacheSeconds { get; set; } = 5;
}
