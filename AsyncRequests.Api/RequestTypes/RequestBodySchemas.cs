using System.Text.Json.Nodes;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace AsyncRequests.Api.RequestTypes;

/// <summary>
/// Describes the body of <c>POST /requests</c> per request type in the OpenAPI document: a
/// <c>oneOf</c> discriminated by <c>type</c>, each with the same input schema as <c>GET /request-types</c>.
/// </summary>
public static class RequestBodySchemas
{
    public static Task DescribePerTypeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer runs without its document.");
        var mapping = new Dictionary<string, OpenApiSchemaReference>();
        foreach (var type in RequestInputSchemas.All)
        {
            var componentName = $"{string.Concat(type.Name.Split('-').Select(word => char.ToUpperInvariant(word[0]) + word[1..]))}Request";
            var body = new JsonObject
            {
                ["type"] = "object",
                ["description"] = type.Description,
                ["required"] = new JsonArray("type", "input"),
                ["properties"] = new JsonObject
                {
                    ["type"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(type.Name) },
                    ["input"] = JsonNode.Parse(type.InputSchema.GetRawText()),
                    ["callbackUrl"] = new JsonObject
                    {
                        // Null means no callback, as it does for the other optional fields.
                        ["type"] = new JsonArray("string", "null"),
                        ["format"] = "uri",
                        ["description"] = "Where to POST the status document, signed per Standard Webhooks, once the request is terminal.",
                    },
                },
                ["additionalProperties"] = false,
            };
            var schema = new OpenApiJsonReader().ReadFragment<OpenApiSchema>(body, OpenApiSpecVersion.OpenApi3_1, document, out var diagnostic);
            if (diagnostic.Errors.Count > 0)
            {
                throw new InvalidOperationException($"The input schema of {type.Name} is not valid OpenAPI: {string.Join("; ", diagnostic.Errors)}");
            }

            document.AddComponent(componentName, schema);
            mapping[type.Name] = new OpenApiSchemaReference(componentName, document);
        }

        var content = operation.RequestBody?.Content?["application/json"]
            ?? throw new InvalidOperationException("POST /requests declares no JSON body to describe.");
        content.Schema = new OpenApiSchema
        {
            OneOf = [.. mapping.Values],
            Discriminator = new OpenApiDiscriminator { PropertyName = "type", Mapping = mapping },
        };
        return Task.CompletedTask;
    }
}
