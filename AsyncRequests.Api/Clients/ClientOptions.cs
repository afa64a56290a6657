using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Clients;

public sealed class ClientOptions : IValidatableObject
{
    public const string SectionName = "Clients";

    public const int MaxRequestsPerSecond = 1_000_000;
    public const int MaxBurst = 1_000_000;
    public const int MaxPendingRequestsCap = 100_000_000;

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

    /// <summary>Submits a client may make per second on one Api instance, on average; 0: no limit.</summary>
    [Range(0, MaxRequestsPerSecond)]
    public int RequestsPerSecond { get; set; }

    /// <summary>Submits a client may make at once beyond the rate (the bucket's size); 0: as many as <see cref="RequestsPerSecond"/>.</summary>
    [Range(0, MaxBurst)]
    public int Burst { get; set; }

    /// <summary>Unfinished (pending or processing) requests a client may have; 0: no limit.</summary>
    [Range(0, MaxPendingRequestsCap)]
    public int MaxPendingRequests { get; set; }

    /// <summary>What a client refused by a quota is told to wait before it tries again.</summary>
    [Range(1, 3600)]
    public int PendingRetryAfterSeconds { get; set; } = 5;

    public ClientJwtOptions Jwt { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Never name the key itself: the message ends up in logs.
        if (Jwt.SigningKey is { Length: < ClientJwtOptions.MinimumSigningKeyLength })
        {
            yield return new ValidationResult(
                $"{SectionName}:Jwt:SigningKey must be at least {ClientJwtOptions.MinimumSigningKeyLength} characters.", [nameof(Jwt)]);
        }

        if (string.IsNullOrWhiteSpace(Jwt.ClientIdClaim))
        {
            yield return new ValidationResult($"{SectionName}:Jwt:ClientIdClaim must name a claim.", [nameof(Jwt)]);
        }
    }
}
