using System.Text.Json;
using System.Text.Json.Nodes;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// Holds an input to the schema <c>GET /request-types</c> publishes where the serializer alone would
/// be looser or stricter: enum values are matched exactly (it would ignore case and read flag lists),
/// numbers are compared with their bounds as written (it would round them to doubles first), and an
/// integer may be written as 1.0 or 1e3 (it would accept only 1). The other keywords are the
/// validation attributes' own.
/// </summary>
internal static class InputContract
{
    private static readonly (string Keyword, string Relation, Func<int, bool> Holds)[] s_bounds =
    [
        ("minimum", "at least", c => c >= 0),
        ("exclusiveMinimum", "more than", c => c > 0),
        ("maximum", "at most", c => c <= 0),
        ("exclusiveMaximum", "less than", c => c < 0),
    ];

    /// <summary>
    /// The first way <paramref name="input"/> breaks the schema's enums, bounds or integer types, keyed
    /// by field; otherwise null, with <paramref name="readable"/> the input as the serializer can read it.
    /// </summary>
    public static (string Field, string Message)? FindProblem(JsonElement input, JsonElement schema, out JsonElement readable)
    {
        readable = input;
        JsonObject? rewritten = null;
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
        {
            if (!input.TryGetProperty(property.Name, out var value))
            {
                continue;
            }

            var field = $"input.{property.Name}";
            if (FindProblem(value, property.Value) is { } problem)
            {
                return (field, problem);
            }

            if (value.ValueKind == JsonValueKind.Array && property.Value.TryGetProperty("items", out var items))
            {
                foreach (var item in value.EnumerateArray())
                {
                    if (FindProblem(item, items) is { } itemProblem)
                    {
                        return (field, itemProblem);
                    }
                }
            }

            // The serializer reads only plain integers; one out of range is left to it to refuse.
            if (value.ValueKind == JsonValueKind.Number && AllowsType(property.Value, "integer") && !value.TryGetInt64(out _)
                && JsonNumberText.Parse(value.GetRawText()).TryGetInt64(out var integer))
            {
                rewritten ??= JsonObject.Create(input.Clone())!;
                rewritten[property.Name] = integer;
            }
        }

        if (rewritten is not null)
        {
            readable = JsonElement.Parse(rewritten.ToJsonString());
        }

        return null;
    }

    private static string? FindProblem(JsonElement value, JsonElement schema)
    {
        if (value.ValueKind == JsonValueKind.String && schema.TryGetProperty("enum", out var allowed)
            && !allowed.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.ValueEquals(value.GetString())))
        {
            return $"The value must be exactly one of: {string.Join(", ", allowed.EnumerateArray())}.";
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        var number = JsonNumberText.Parse(value.GetRawText());
        if (AllowsType(schema, "integer") && !AllowsType(schema, "number") && !number.IsInteger)
        {
            return "The value must be an integer.";
        }

        var bounds = s_bounds.Where(b => schema.TryGetProperty(b.Keyword, out _))
            .Select(b => (b.Relation, b.Holds, Limit: schema.GetProperty(b.Keyword).GetRawText()))
            .ToList();
        return bounds.All(b => b.Holds(number.CompareTo(JsonNumberText.Parse(b.Limit))))
            ? null
            : $"The value must be {string.Join(" and ", bounds.Select(b => $"{b.Relation} {b.Limit}"))}.";
    }

    private static bool AllowsType(JsonElement schema, string type) =>
        schema.TryGetProperty("type", out var types) && (types.ValueKind == JsonValueKind.Array
            ? types.EnumerateArray().Any(t => t.ValueEquals(type))
            : types.ValueEquals(type));
}
