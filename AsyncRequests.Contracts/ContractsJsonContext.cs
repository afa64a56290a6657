using System.Text.Json;
using System.Text.Json.Serialization;

namespace AsyncRequests.Contracts;

/// <summary>
/// Source-generated JSON metadata of the whole contract, so neither side needs reflection (trimming, AOT).
/// Its own options are a client's: web defaults, and nulls left out of what it sends, so an input without
/// <c>delayMs</c> is sent without it. The Api chains it into its own options, which keep its output as it was.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubmitRequestBody))]
[JsonSerializable(typeof(SubmissionAccepted))]
[JsonSerializable(typeof(RequestStatusDocument))]
[JsonSerializable(typeof(ProblemDocument))]
[JsonSerializable(typeof(MultiplyInput))]
[JsonSerializable(typeof(ComputeInput))]
[JsonSerializable(typeof(TransformInput))]
[JsonSerializable(typeof(TextAnalysisInput))]
[JsonSerializable(typeof(FailInput))]
[JsonSerializable(typeof(MultiplyResult))]
[JsonSerializable(typeof(ComputeResult))]
[JsonSerializable(typeof(TransformResult))]
[JsonSerializable(typeof(TextAnalysisResult))]
[JsonSerializable(typeof(FailResult))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
