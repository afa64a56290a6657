using Microsoft.AspNetCore.Authentication;

namespace AsyncRequests.Api.Clients;

public static class ClientServiceCollectionExtensions
{
    public const string PolicyName = "Client";

    /// <summary>The client key scheme and the policy that guards the request routes.</summary>
    public static IHostApplicationBuilder AddClientAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClientOptions>().BindConfiguration(ClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClientKeyLookup>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ClientKeyHandler>(ClientKeyHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.AddAuthenticationSchemes(ClientKeyHandler.SchemeName).RequireAuthenticatedUser());
        return builder;
    }
}
