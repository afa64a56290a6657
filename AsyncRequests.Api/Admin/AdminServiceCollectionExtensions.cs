using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.OpenApi;

namespace AsyncRequests.Api.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>The admin key scheme, the policy that guards <c>/admin</c>, and what the admin endpoints use.</summary>
    public static IHostApplicationBuilder AddAdminApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AdminApiKeys>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminApiKeyHandler>(AdminApiKeyHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminApi.PolicyName, policy => policy.AddAuthenticationSchemes(AdminApiKeyHandler.SchemeName).RequireAuthenticatedUser());
        builder.Services.Configure<OpenApiOptions>("v1", openApi => openApi.AddDocumentTransformer<AdminSecuritySchemeTransformer>());
        builder.Services.AddScoped<AdminRequests>();
        builder.Services.AddScoped<AdminClients>();
        builder.Services.AddSingleton<AdminStatistics>();
        return builder;
    }
}
