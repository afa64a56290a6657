namespace AsyncRequests.Api.Clients;

/// <summary>
/// JWT bearer tokens as client credentials, beside client keys: on when <see cref="Audience"/> and either
/// <see cref="Authority"/> (an OpenID Connect issuer, whose signing keys are fetched) or <see cref="SigningKey"/> are set.
/// </summary>
public sealed class ClientJwtOptions
{
    /// <summary>256 bits, what HS256 needs.</summary>
    public const int MinimumSigningKeyLength = 32;

    /// <summary>The issuer whose discovery document names the signing keys, e.g. https://login.example.com/tenant.</summary>
    public string? Authority { get; set; }

    public string? Audience { get; set; }

    /// <summary>A symmetric (HS256) key, at least 32 characters, instead of an authority: for tests and closed setups.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The claim that names the client.</summary>
    public string ClientIdClaim { get; set; } = "sub";

    public bool Enabled => !string.IsNullOrEmpty(Audience) && (!string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey));
}
