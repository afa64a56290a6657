using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Admin;

public sealed class AdminOptions : IValidatableObject
{
    public const string SectionName = "Admin";

    /// <summary>Short keys can be guessed; a generated key (e.g. <c>openssl rand -base64 32</c>) is far longer.</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>
    /// Bearer keys that open the admin API. Several may be valid at once, so a key is rotated by adding
    /// the new one, moving clients over, then removing the old one. None: the admin API is not mapped.
    /// </summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>The least time <c>GET /admin/stats</c> answers from its last reading, so many pollers cost one reading.</summary>
    [Range(0, 60_000)]
    public int StatsCacheMilliseconds { get; set; } = 2000;

    public bool Enabled => ApiKeys.Length > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Never name the offending key: the message ends up in logs.
        if (ApiKeys.Any(key => string.IsNullOrWhiteSpace(key) || key.Trim().Length < MinimumKeyLength || key.Trim() != key))
        {
            yield return new ValidationResult(
                $"Every key in {SectionName}:{nameof(ApiKeys)} must be at least {MinimumKeyLength} characters, without surrounding spaces.",
                [nameof(ApiKeys)]);
        }
    }
}
