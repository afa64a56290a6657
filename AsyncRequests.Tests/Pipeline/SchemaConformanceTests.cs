using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AsyncRequests.Tests.Infrastructure;
using Json.Schema;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// The schemas <c>GET /request-types</c> publishes are the contract: an independent JSON Schema validator
/// (JsonSchema.Net) and the Api must give the same verdict, 202 or 400, on every body. The bodies are
/// valid examples broken at random, seeded, with the edges the Api once got wrong mixed in.
/// </summary>
/// <remarks>
/// Where JSON Schema and .NET legitimately differ, the bodies stay clear of the difference: string
/// lengths count code points in JSON Schema and UTF-16 units in .NET (so texts are ASCII), a property
/// named twice has no JSON Schema meaning (so names are not repeated), the validator reads numbers
/// as decimals of 28 digits (so numbers have fewer), and <c>format: uri</c> is an annotation while the
/// Api checks a callback URL's scheme and address (so callback URLs are either allowed ones or not strings).
/// </remarks>
public sealed class SchemaConformanceTests(TestServers servers) : IAsyncLifetime
{
    private const int RandomBodies = 300;

    private static readonly string[] s_numbers =
    [
        "0", "-0", "1", "-1", "2.5", "1e3", "1E+3", "1.0", "1e-3", "0.0e5", "60000", "6e4", "60000.0", "60001", "6.00001e4",
        "-1e15", "1e15", "1E+15", "1000000000000000", "1000000000000000.01", "1000000000000001", "-1000000000000000.0001",
        "999999999999999.99", "1e16", "-1e16", "1e300", "9007199254740993", "123456789.123456789",
    ];

    private static readonly JsonNode?[] s_wrongKinds = [null, true, "5", new JsonObject(), new JsonArray(), new JsonArray(1, 2)];

    /// <summary>Allowed by the test settings; with no Processor nothing is ever delivered to it.</summary>
    private const string CallbackUrl = "http://127.0.0.1:9/callback";

    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync() => _pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task The_Api_accepts_exactly_the_bodies_the_published_schemas_accept()
    {
        var catalog = (await _pipeline.Client.GetFromJsonAsync<JsonArray>("/request-types", TestContext.Current.CancellationToken))!;
        var schema = EnvelopeSchema(catalog);
        var random = new Random(20261205);
        var bodies = EdgeBodies(catalog).Concat(Enumerable.Range(0, RandomBodies).Select(_ => RandomBody(random, catalog))).ToList();

        var mismatches = new List<string>();
        var verdicts = new int[2];
        foreach (var body in bodies)
        {
            var valid = schema.Evaluate(JsonElement.Parse(body), EvaluationOptions.Default).IsValid;
            using var response = await _pipeline.Client.PostAsync("/requests", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            verdicts[valid ? 1 : 0]++;
            if (response.StatusCode != (valid ? HttpStatusCode.Accepted : HttpStatusCode.BadRequest))
            {
                var answer = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                mismatches.Add($"schema says {(valid ? "valid" : "invalid")}, Api {(int)response.StatusCode}: {Shorten(body)} -> {Shorten(answer)}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {bodies.Count} verdicts differ:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches)}");
        // Both verdicts are common, so agreement is not agreement on one answer.
        Assert.All(verdicts, count => Assert.True(count >= bodies.Count / 5, $"valid/invalid: {verdicts[1]}/{verdicts[0]}"));
    }

    /// <summary>The submit body: one of the request types, each an envelope of type, input and an optional callbackUrl.</summary>
    private static JsonSchema EnvelopeSchema(JsonArray catalog)
    {
        var envelope = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["oneOf"] = new JsonArray([.. catalog.Select(type => (JsonNode)new JsonObject
            {
                ["type"] = "object",
                ["required"] = new JsonArray("type", "input"),
                ["properties"] = new JsonObject
                {
                    ["type"] = new JsonObject { ["const"] = type!["name"]!.DeepClone() },
                    ["input"] = type["inputSchema"]!.DeepClone(),
                    ["callbackUrl"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
                },
                ["additionalProperties"] = false,
            })]),
        };
        return JsonSchema.Build(JsonSerializer.SerializeToElement(envelope), new BuildOptions(), new Uri($"https://schemas.test/{Guid.NewGuid():N}"));
    }

    /// <summary>Every number edge in every numeric field, and every enum edge, on each type's example.</summary>
    private static IEnumerable<string> EdgeBodies(JsonArray catalog)
    {
        foreach (var type in catalog.Select(t => t!))
        {
            foreach (var (field, property) in type["inputSchema"]!["properties"]!.AsObject())
            {
                var values = property!["enum"] is JsonArray allowed
                    ? [.. allowed.Select(a => a!.DeepClone()), .. allowed.SelectMany(a => Variants((string)a!))]
                    : IsNumeric(property)
                        ? s_numbers.Select(n => JsonNode.Parse(n)!)
                        : IsNumeric(property["items"])
                            ? s_numbers.Select(n => (JsonNode)new JsonArray(1, JsonNode.Parse(n)))
                            : [];
                foreach (var value in values)
                {
                    var input = type["exampleInput"]!.DeepClone().AsObject();
                    input[field] = value;
                    yield return Serialize(new JsonObject { ["type"] = type["name"]!.DeepClone(), ["input"] = input });
                }
            }
        }

        yield return """{"type":"multiply","input":{"num1":2,"num2":3},"callbackUrl":null}""";
        yield return $$"""{"type":"multiply","input":{"num1":2,"num2":3},"callbackUrl":"{{CallbackUrl}}"}""";
    }

    private static string RandomBody(Random random, JsonArray catalog)
    {
        var type = catalog[random.Next(catalog.Count)]!;
        var properties = type["inputSchema"]!["properties"]!.AsObject();
        var input = type["exampleInput"]!.DeepClone().AsObject();
        var body = new JsonObject { ["type"] = type["name"]!.DeepClone(), ["input"] = input };
        if (random.Next(4) == 0)
        {
            body["callbackUrl"] = random.Next(3) == 0 ? null : CallbackUrl;
        }

        for (var changes = random.Next(3); changes > 0; changes--)
        {
            var (field, property) = properties.ElementAt(random.Next(properties.Count));
            switch (random.Next(10))
            {
                case < 5:
                    input[field] = ValueFor(random, property!);
                    break;
                case 5:
                    input[field] = s_wrongKinds[random.Next(s_wrongKinds.Length)]?.DeepClone();
                    break;
                case 6:
                    input.Remove(field);
                    break;
                case 7 when input[field] is { } present:
                    input.Remove(field);
                    input[Variants(field)[random.Next(2)]] = present.DeepClone();
                    break;
                case 8:
                    body[random.Next(2) == 0 ? "Type" : "extra"] = 1;
                    break;
                default:
                    body["type"] = random.Next(3) switch
                    {
                        0 => catalog[random.Next(catalog.Count)]!["name"]!.DeepClone(),
                        1 => ((string)type["name"]!).ToUpperInvariant(),
                        _ => s_wrongKinds[random.Next(s_wrongKinds.Length)]?.DeepClone(),
                    };
                    break;
            }
        }

        return Serialize(body);
    }

    /// <summary>A value of the field's own JSON type, at or near its limits.</summary>
    private static JsonNode? ValueFor(Random random, JsonNode property)
    {
        if (property["enum"] is JsonArray allowed)
        {
            var value = (string)allowed[random.Next(allowed.Count)]!;
            return random.Next(2) == 0 ? value : Variants(value)[random.Next(4)];
        }

        if (IsNumeric(property))
        {
            return JsonNode.Parse(s_numbers[random.Next(s_numbers.Length)]);
        }

        if (property["items"] is { } items && IsNumeric(items))
        {
            var count = random.Next(4) switch
            {
                0 => 0,
                1 => (int)property["maxItems"]!,
                2 => (int)property["maxItems"]! + 1,
                _ => random.Next(1, 5),
            };
            return new JsonArray([.. Enumerable.Range(0, count).Select(_ => random.Next(10) == 0
                ? JsonNode.Parse(s_numbers[random.Next(s_numbers.Length)])
                : (JsonNode)random.Next(-1000, 1000))]);
        }

        // Texts: empty, blank, at and past their length limits, or ordinary.
        return random.Next(6) switch
        {
            0 => string.Empty,
            1 => new[] { " ", "\t\n", "\u00a0 " }[random.Next(3)],
            2 => new string('a', (int)property["maxLength"]!),
            3 => new string('a', (int)property["maxLength"]! + 1),
            _ => $"word {random.Next(1000)}",
        };
    }

    /// <summary>Near misses of an exact name: another case, padded, or a list.</summary>
    private static string[] Variants(string name) =>
        [char.ToUpperInvariant(name[0]) + name[1..], name.ToUpperInvariant(), $" {name}", $"{name}, {name}"];

    private static bool IsNumeric(JsonNode? schema) => schema?["type"] switch
    {
        JsonArray types => types.Any(t => (string?)t is "number" or "integer"),
        JsonValue type => (string?)type is "number" or "integer",
        _ => false,
    };

    private static string Serialize(JsonNode body) => body.ToJsonString();

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
