using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// The one strict way the input of a request type (<see cref="RequestTypeNames"/>) is read, validated and
/// written, for the Api. It validates by reflection (data annotations, the reflection-based serializer), so
/// it is marked as such: the Processor, published with Native AOT, reads its inputs from the contract's
/// source-generated metadata instead.
/// </summary>
[RequiresUnreferencedCode("Validates inputs by reflection; the Api runs with the JIT.")]
[RequiresDynamicCode("Validates inputs by reflection; the Api runs with the JIT.")]
public static class RequestTypeCatalog
{
    /// <summary>
    /// Strict on purpose: unknown fields, names in another case, numbers in strings and integer enums are
    /// errors, not guesses. What it cannot make strict, <see cref="InputContract"/> checks before it reads.
    /// </summary>
    public static JsonSerializerOptions InputSerializerOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 16,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>
    /// Reads and validates the input of a request of type <paramref name="type"/>. Errors are keyed
    /// by the JSON path a client wrote (<c>type</c>, <c>input.num1</c>) so they can fix exactly that.
    /// </summary>
    public static RequestInputReadResult Read(string? type, JsonElement? input)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return RequestInputReadResult.Invalid("type", "The type field is required.");
        }

        if (!RequestTypeNames.InputTypes.TryGetValue(type, out var inputType))
        {
            return RequestInputReadResult.Invalid("type", $"Unknown request type '{Truncate(type)}'. Known types: {string.Join(", ", RequestTypeNames.Names.Order())}.");
        }

        if (input is not { ValueKind: JsonValueKind.Object } inputObject)
        {
            return RequestInputReadResult.Invalid("input", "The input field is required and must be a JSON object.");
        }

        if (InputContract.FindProblem(inputObject, RequestInputSchemas.Of(type), out var readable) is (var field, var message))
        {
            return RequestInputReadResult.Invalid(field, message);
        }

        RequestInput parsed;
        try
        {
            parsed = (RequestInput)readable.Deserialize(inputType, InputSerializerOptions)!;
        }
        catch (JsonException e)
        {
            // The path names the JSON as the client wrote it, so its case stays.
            var member = (e.Path ?? string.Empty).TrimStart('$').TrimStart('.');
            return RequestInputReadResult.Invalid(member.Length == 0 ? "input" : $"input.{member}", DescribeJsonError(e));
        }

        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(parsed, new ValidationContext(parsed), results, validateAllProperties: true))
        {
            return RequestInputReadResult.Valid(parsed);
        }

        var errors = results
            .SelectMany(r => (r.MemberNames.Any() ? r.MemberNames : [string.Empty]).Select(m => (Key: ToClientPath(m), r.ErrorMessage)))
            .GroupBy(e => e.Key, e => e.ErrorMessage ?? "Invalid value.")
            .ToDictionary(g => g.Key, g => g.ToArray());
        return new RequestInputReadResult(null, errors);
    }

    public static string Serialize(RequestInput input) =>
        JsonSerializer.Serialize(input, input.GetType(), InputSerializerOptions);

    /// <summary>
    /// Identifies a type, normalized input and callback URL, so an idempotency key reused for other work is
    /// caught. Compact JSON holds no raw line break, so the parts cannot run into each other; without a
    /// callback the hash is what it was before callbacks existed, so stored keys keep replaying.
    /// </summary>
    public static string Hash(string type, string normalizedInput, string? callbackUrl = null) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            callbackUrl is null ? $"{type}\n{normalizedInput}" : $"{type}\n{normalizedInput}\n{callbackUrl}")));

    private static string ToClientPath(string member) =>
        member.Length == 0 ? "input" : $"input.{JsonNamingPolicy.CamelCase.ConvertName(member)}";

    // The serializer's own messages name CLR types; clients need to know what JSON to send instead.
    private static string DescribeJsonError(JsonException e) => e.Message switch
    {
        var m when m.Contains("could not be mapped to any .NET member", StringComparison.Ordinal) => "This field is not part of the input.",
        var m when m.Contains("maximum configured depth", StringComparison.Ordinal) => "The input is nested too deeply.",
        _ when e.Path is null => "The input is not valid JSON for this request type.",
        _ => "The value has the wrong JSON type or is out of range.",
    };

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

/// <summary>Either a validated input or the errors that explain why it is not one.</summary>
public sealed record RequestInputReadResult(RequestInput? Input, IDictionary<string, string[]>? Errors)
{
    public static RequestInputReadResult Valid(RequestInput input) => new(input, null);

    public static RequestInputReadResult Invalid(string key, string message) => new(null, new Dictionary<string, string[]> { [key] = [message] });
}
