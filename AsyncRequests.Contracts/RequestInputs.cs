using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AsyncRequests.Contracts;

/// <summary>
/// The input of every request type: the Api validates it before anything is stored, the Processor's
/// handlers read it back, and clients send it. Its <see cref="RequestTypeAttribute"/> names the type.
/// </summary>
public abstract record RequestInput
{
    /// <summary>Simulated work time in milliseconds, spread over the handler's stages.</summary>
    [Description("Simulated work time in milliseconds, spread over the handler's stages.")]
    [Range(0, 60_000)]
    public int? DelayMs { get; init; }
}

/// <summary>An input whose request, once succeeded, has a result of type <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The result record of this request type.</typeparam>
public abstract record RequestInput<TResult> : RequestInput
    where TResult : class;

[Description("Multiplies two numbers.")]
[RequestType("multiply", Example = """{"num1": 5, "num2": 10}""")]
public sealed record MultiplyInput : RequestInput<MultiplyResult>
{
    // Bounded below 2^53, so every integer in range reads back exactly; the handler multiplies exactly.
    [Required, Range(-1e15, 1e15)]
    public double? Num1 { get; init; }

    [Required, Range(-1e15, 1e15)]
    public double? Num2 { get; init; }
}

[Description("Counts, sums and averages a list of numbers and finds its minimum and maximum.")]
[RequestType("compute", Example = """{"numbers": [10, 20, 30, 40, 50]}""")]
public sealed record ComputeInput : RequestInput<ComputeResult>
{
    // Length reads Count by reflection only from a value that is not an ICollection; an array is one.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "An array is an ICollection.")]
    [Required, Length(1, 10_000), ItemsRange(-1e15, 1e15)]
    public double[]? Numbers { get; init; }
}

[Description("Upper- and lower-cases a text and counts its words and characters.")]
[RequestType("transform", Example = """{"text": "Hello async world"}""")]
public sealed record TransformInput : RequestInput<TransformResult>
{
    [Required, StringLength(100_000, MinimumLength = 1)]
    public string? Text { get; init; }
}

[Description("Analyses a text in three stages with progress: ocr (counts and preview), ml (sentiment) and search (top keywords).")]
[RequestType("text-analysis", Example = """{"text": "Great queue, great service. The queue is fast and reliable.", "delayMs": 3000}""")]
public sealed record TextAnalysisInput : RequestInput<TextAnalysisResult>
{
    [Required, StringLength(100_000, MinimumLength = 1)]
    public string? Text { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<FailMode>))]
public enum FailMode
{
    [JsonStringEnumMemberName("transient")] Transient,
    [JsonStringEnumMemberName("permanent")] Permanent,
}

[Description("Fails on purpose: transient failures are retried with backoff, permanent ones fail at once.")]
[RequestType("fail", Example = """{"mode": "transient"}""")]
public sealed record FailInput : RequestInput<FailResult>
{
    [Required]
    public FailMode? Mode { get; init; }
}
