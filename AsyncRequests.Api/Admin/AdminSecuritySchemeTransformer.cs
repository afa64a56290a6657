using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace AsyncRequests.Api.Admin;

/// <summary>Declares the admin key as an HTTP bearer scheme and marks every admin operation as needing it.</summary>
public sealed class AdminSecuritySchemeTransformer(IOptions<AdminOptions> options) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return Task.CompletedTask;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[AdminApiKeyHandler.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An admin API key from the Admin:ApiKeys setting, sent as Authorization: Bearer <key>.",
        };

        var operations = document.Paths
            .Where(path => path.Key.StartsWith(AdminApi.Prefix, StringComparison.Ordinal))
            .SelectMany(path => path.Value.Operations?.Values.AsEnumerable() ?? []);
        foreach (var operation in operations)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AdminApiKeyHandler.SchemeName, document)] = [] });
        }

        return Task.CompletedTask;
    }
}
