using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// The input of every request type. Inputs live here, beside the store, because the Api validates
/// them before anything is stored and the Processor's handlers read them back.
/// </summary>
public abstract record RequestInput
{
    /// <summary>Simulated work time, spread over the handler's stages.</summary>
    [Range(0, 60_000)]
    public int? DelayMs { get; init; }
}

[RequestType("multiply")]
public sealed record MultiplyInput : RequestInput
{
    // Bounded below 2^53, so every integer in range reads back exactly; the handler multiplies exactly.
    [Required, Range(-1e15, 1e15)]
    public double? Num1 { get; init; }

    [Required, Range(-1e15, 1e15)]
    public double? Num2 { get; init; }
}

[RequestType("compute")]
public sealed record ComputeInput : RequestInput, IValidatableObject
{
    public const double Limit = 1e15;

    [Required, Length(1, 10_000)]
    public double[]? Numbers { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Numbers?.Any(n => Math.Abs(n) > Limit) == true)
        {
            yield return new ValidationResult($"Every number must be between -{Limit:G} and {Limit:G}.", [nameof(Numbers)]);
        }
    }
}

[RequestType("transform")]
public sealed record TransformInput : RequestInput
{
    [Required, StringLength(100_000, MinimumLength = 1)]
    public string? Text { get; init; }
}

[RequestType("text-analysis")]
public sealed record TextAnalysisInput : RequestInput
{
    [Required, StringLength(100_000, MinimumLength = 1)]
    public string? Text { get; init; }
}

public enum FailMode
{
    Transient,
    Permanent,
}

/// <summary>Fails on purpose, to exercise retries and dead-lettering.</summary>
[RequestType("fail")]
public sealed record FailInput : RequestInput
{
    [Required]
    public FailMode? Mode { get; init; }
}
