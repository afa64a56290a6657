using System.Collections.Frozen;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>A request type as clients discover it: what it does, the JSON Schema of its input, and a valid input.</summary>
public sealed record RequestTypeDescription(string Name, string Description, JsonElement InputSchema, JsonElement ExampleInput);

/// <summary>
/// The JSON Schema of each request type's input, exported from the input records with the same
/// serializer options that read them, and with their validation attributes turned into schema
/// limits, so that the schema accepts what <see cref="RequestTypeCatalog.Read"/> accepts. By reflection, like the catalog.
/// </summary>
[RequiresUnreferencedCode("Exports schemas by reflection; the Api runs with the JIT.")]
[RequiresDynamicCode("Exports schemas by reflection; the Api runs with the JIT.")]
public static class RequestInputSchemas
{
    private static readonly JsonSchemaExporterOptions s_exporterOptions = new()
    {
        // An input must be an object: Read rejects a null one.
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = AddValidationLimits,
    };

    public static IReadOnlyList<RequestTypeDescription> All { get; } = [.. RequestTypeNames.InputTypes
        .OrderBy(t => t.Key, StringComparer.Ordinal)
        .Select(t => new RequestTypeDescription(
            t.Key,
            DescriptionOf(t.Value) ?? t.Key,
            JsonSerializer.SerializeToElement(For(t.Value)),
            JsonElement.Parse(t.Value.GetCustomAttribute<RequestTypeAttribute>()!.Example)))];

    private static readonly FrozenDictionary<string, JsonElement> s_byName = All.ToFrozenDictionary(t => t.Name, t => t.InputSchema, StringComparer.Ordinal);

    /// <summary>The input schema of the request type named <paramref name="name"/>.</summary>
    public static JsonElement Of(string name) => s_byName[name];

    public static JsonNode For(Type inputType)
    {
        // Serializing fills in the default resolver on first use; the exporter needs it before that.
        RequestTypeCatalog.InputSerializerOptions.MakeReadOnly(populateMissingResolver: true);
        return JsonSchemaExporter.GetJsonSchemaAsNode(RequestTypeCatalog.InputSerializerOptions, inputType, s_exporterOptions);
    }

    private static JsonNode AddValidationLimits(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (schema is not JsonObject node)
        {
            return schema;
        }

        var member = context.PropertyInfo?.AttributeProvider ?? (context.Path.IsEmpty ? context.TypeInfo.Type : null);
        if (member is not null && DescriptionOf(member) is { } description)
        {
            node["description"] = description;
        }

        if (context.Path.IsEmpty)
        {
            var required = context.TypeInfo.Properties
                .Where(p => p.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true)
                .Select(p => (JsonNode)p.Name);
            node["required"] = new JsonArray([.. required]);
        }

        foreach (var attribute in context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(inherit: true) ?? [])
        {
            switch (attribute)
            {
                case RequiredAttribute notNullOrBlank:
                    RemoveNull(node);
                    if (context.PropertyInfo!.PropertyType == typeof(string) && !notNullOrBlank.AllowEmptyStrings)
                    {
                        node["pattern"] = @"\S";
                    }

                    break;
                case RangeAttribute range:
                    node[range.MinimumIsExclusive ? "exclusiveMinimum" : "minimum"] = Number(range.Minimum);
                    node[range.MaximumIsExclusive ? "exclusiveMaximum" : "maximum"] = Number(range.Maximum);
                    break;
                case StringLengthAttribute length:
                    node["minLength"] = length.MinimumLength;
                    node["maxLength"] = length.MaximumLength;
                    break;
                case LengthAttribute length when context.PropertyInfo!.PropertyType != typeof(string):
                    node["minItems"] = length.MinimumLength;
                    node["maxItems"] = length.MaximumLength;
                    break;
                case LengthAttribute length:
                    node["minLength"] = length.MinimumLength;
                    node["maxLength"] = length.MaximumLength;
                    break;
                case ItemsRangeAttribute items when node["items"] is JsonObject itemSchema:
                    itemSchema["minimum"] = items.Minimum;
                    itemSchema["maximum"] = items.Maximum;
                    break;
            }
        }

        return node;
    }

    // [Required] rejects null, so a required nullable property's schema must not allow it either.
    private static void RemoveNull(JsonObject node)
    {
        if (node["type"] is JsonArray types)
        {
            var remaining = types.Where(t => t?.GetValue<string>() != "null").Select(t => t!.GetValue<string>()).ToArray();
            node["type"] = remaining.Length == 1 ? remaining[0] : new JsonArray([.. remaining.Select(t => (JsonNode)t)]);
        }

        if (node["enum"] is JsonArray values && values.Any(v => v is null))
        {
            node["enum"] = new JsonArray([.. values.Where(v => v is not null).Select(v => v!.DeepClone())]);
        }
    }

    private static JsonNode Number(object value) => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture));

    private static string? DescriptionOf(ICustomAttributeProvider member) =>
        member.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true).OfType<DescriptionAttribute>().FirstOrDefault()?.Description;
}
