using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// <c>GET /request-types</c> and the OpenAPI document describe every request type, and the limits in
/// their schemas are the ones <c>POST /requests</c> enforces: a value at a limit is accepted, one past it is refused.
/// </summary>
public sealed class RequestTypeCatalogTests(TestServers servers) : IAsyncLifetime
{
    private static readonly string[] s_allTypes = ["compute", "fail", "multiply", "text-analysis", "transform"];

    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync() => _pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task Every_request_type_is_listed_with_a_description_an_input_schema_and_an_example_that_is_accepted()
    {
        var catalog = await GetCatalogAsync();

        Assert.Equal(s_allTypes, catalog.Select(t => (string)t!["name"]!));
        foreach (var type in catalog.Select(t => t!))
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)type["description"]), $"{type["name"]} has no description");
            Assert.Equal("object", (string?)type["inputSchema"]!["type"]);
            Assert.NotEmpty(type["inputSchema"]!["properties"]!.AsObject());
            var status = await SubmitStatusAsync((string)type["name"]!, type["exampleInput"]!.DeepClone());
            Assert.True(status.Code == HttpStatusCode.Accepted, $"The example of {type["name"]} was refused: {status.Body}");
        }
    }

    [Fact]
    public async Task Inputs_at_the_schema_limits_are_accepted_and_inputs_beyond_them_are_refused_on_that_field()
    {
        var mismatches = new List<string>();
        var checkedCases = new List<string>();
        foreach (var type in (await GetCatalogAsync()).Select(t => t!))
        {
            var name = (string)type["name"]!;
            var schema = type["inputSchema"]!.AsObject();
            var example = type["exampleInput"]!.AsObject();
            IEnumerable<(string Field, JsonNode? Value, bool Accepted, string Why)> cases = [
                .. schema["properties"]!.AsObject().SelectMany(property =>
                    CasesFor(property.Value!.AsObject()).Select(c => (property.Key, (JsonNode?)c.Value, c.Accepted, c.Why))),
                .. schema["required"]!.AsArray().Select(field => ((string)field!, (JsonNode?)null, false, "omitted though required")),
                ("unexpected", 1, false, "not a property while additionalProperties is false"),
            ];

            foreach (var (field, value, accepted, why) in cases)
            {
                var input = example.DeepClone().AsObject();
                input.Remove(field);
                if (value is not null)
                {
                    input[field] = value;
                }

                var status = await SubmitStatusAsync(name, input);
                var refusedOnField = status.Code == HttpStatusCode.BadRequest
                    && JsonNode.Parse(status.Body)!["errors"]!.AsObject().ContainsKey($"input.{field}");
                if (accepted ? status.Code != HttpStatusCode.Accepted : !refusedOnField)
                {
                    mismatches.Add($"{name}.{field} {why}: expected {(accepted ? "202" : $"400 on input.{field}")}, got {(int)status.Code} {status.Body}");
                }

                checkedCases.Add($"{name}.{field} {why}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        // The cases come from the schemas, so a limit missing from a schema must be caught here.
        Assert.Subset(checkedCases.ToHashSet(), new HashSet<string>
        {
            "multiply.num1 above its maximum",
            "multiply.delayMs below its minimum",
            "compute.numbers with more than its maximum number of items",
            "compute.numbers with an item above its maximum",
            "transform.text longer than its maximum length",
            "text-analysis.text ' ' against its pattern",
            "fail.mode outside its enum",
        });
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_submit_body_as_one_of_the_request_types_discriminated_by_type()
    {
        var document = (await _pipeline.Client.GetFromJsonAsync<JsonNode>("/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var catalog = await GetCatalogAsync();

        var body = document["paths"]!["/requests"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        Assert.Equal("type", (string?)body["discriminator"]!["propertyName"]);
        var mapping = body["discriminator"]!["mapping"]!.AsObject();
        Assert.Equal(s_allTypes, mapping.Select(m => m.Key).Order());
        Assert.Equal(mapping.Select(m => (string?)m.Value), body["oneOf"]!.AsArray().Select(s => (string?)s!["$ref"]));
        foreach (var type in catalog.Select(t => t!))
        {
            var component = ResolveReference(document, (string)mapping[(string)type["name"]!]!);
            Assert.Equal([(string)type["name"]!], component["properties"]!["type"]!["enum"]!.AsArray().Select(v => (string?)v));
            Assert.Equal("uri", (string?)component["properties"]!["callbackUrl"]!["format"]);
            Assert.Equal(["type", "input"], component["required"]!.AsArray().Select(v => (string?)v));
            Assert.True(
                JsonNode.DeepEquals(WithSortedTypeLists(type["inputSchema"]!), WithSortedTypeLists(component["properties"]!["input"]!)),
                $"{type["name"]}: the OpenAPI input schema {component["properties"]!["input"]} differs from the catalog's {type["inputSchema"]}");
        }
    }

    /// <summary>Values at and just past each limit the schema states, with whether the schema accepts them.</summary>
    private static IEnumerable<(JsonNode Value, bool Accepted, string Why)> CasesFor(JsonObject schema)
    {
        var integer = (string?)(schema["type"] is JsonArray types ? types[0] : schema["type"]) == "integer";
        if (schema["minimum"] is { } minimum)
        {
            yield return (Number((double)minimum), true, "at its minimum");
            yield return (Number(integer ? (double)minimum - 1 : Math.BitDecrement((double)minimum)), false, "below its minimum");
        }

        if (schema["maximum"] is { } maximum)
        {
            yield return (Number((double)maximum), true, "at its maximum");
            yield return (Number(integer ? (double)maximum + 1 : Math.BitIncrement((double)maximum)), false, "above its maximum");
        }

        if (schema["minLength"] is { } minLength)
        {
            yield return (new string('a', (int)minLength), true, "at its minimum length");
            yield return (new string('a', (int)minLength - 1), false, "shorter than its minimum length");
        }

        if (schema["maxLength"] is { } maxLength)
        {
            yield return (new string('a', (int)maxLength), true, "at its maximum length");
            yield return (new string('a', (int)maxLength + 1), false, "longer than its maximum length");
        }

        if (schema["pattern"] is { } pattern)
        {
            foreach (var text in new[] { " ", "a" })
            {
                yield return (text, Regex.IsMatch(text, (string)pattern!, RegexOptions.ECMAScript), $"'{text}' against its pattern");
            }
        }

        if (schema["minItems"] is { } minItems)
        {
            yield return (Numbers((int)minItems, 1), true, "with its minimum number of items");
            yield return (Numbers((int)minItems - 1, 1), false, "with fewer than its minimum number of items");
        }

        if (schema["maxItems"] is { } maxItems)
        {
            yield return (Numbers((int)maxItems, 1), true, "with its maximum number of items");
            yield return (Numbers((int)maxItems + 1, 1), false, "with more than its maximum number of items");
        }

        foreach (var (value, accepted, why) in schema["items"] is JsonObject items ? CasesFor(items) : [])
        {
            yield return (new JsonArray(value), accepted, $"with an item {why}");
        }

        foreach (var value in schema["enum"]?.AsArray() ?? [])
        {
            yield return (value!.DeepClone(), true, $"'{value}' of its enum");
            yield return ($"not-{value}", false, "outside its enum");
        }
    }

    /// <summary>The OpenAPI writer lists a nullable type as ["null", "integer"]; the order means nothing.</summary>
    private static JsonNode WithSortedTypeLists(JsonNode schema)
    {
        var copy = schema.DeepClone();
        foreach (var node in Descendants(copy).OfType<JsonObject>())
        {
            if (node["type"] is JsonArray types)
            {
                node["type"] = new JsonArray([.. types.Select(t => (string)t!).Order().Select(t => (JsonNode)t)]);
            }
        }

        return copy;

        static IEnumerable<JsonNode> Descendants(JsonNode node) => node switch
        {
            JsonObject o => [o, .. o.Select(p => p.Value).OfType<JsonNode>().SelectMany(Descendants)],
            JsonArray a => [a, .. a.OfType<JsonNode>().SelectMany(Descendants)],
            _ => [node],
        };
    }

    private static JsonNode Number(double value) => JsonValue.Create(value);

    private static JsonArray Numbers(int count, double value) => new([.. Enumerable.Repeat(value, count).Select(v => (JsonNode)v)]);

    private static JsonObject ResolveReference(JsonNode document, string reference) =>
        reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(document, (node, segment) => node[segment]!).AsObject();

    private async Task<JsonArray> GetCatalogAsync() =>
        (await _pipeline.Client.GetFromJsonAsync<JsonArray>("/request-types", TestContext.Current.CancellationToken))!;

    private async Task<(HttpStatusCode Code, string Body)> SubmitStatusAsync(string type, JsonNode input)
    {
        using var response = await _pipeline.PostAsync(new { type, input });
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
