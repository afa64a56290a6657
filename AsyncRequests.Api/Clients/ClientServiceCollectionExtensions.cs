using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;

namespace AsyncRequests.Api.Clients;

public static class ClientServiceCollectionExtensions
{
    public const string PolicyName = "Client";

    /// <summary>The client key scheme, the policy that guards the request routes, and the clients' quotas.</summary>
    public static IHostApplicationBuilder AddClientAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClientOptions>().BindConfiguration(ClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClientKeyLookup>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ClientKeyHandler>(ClientKeyHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.AddAuthenticationSchemes(ClientKeyHandler.SchemeName).RequireAuthenticatedUser());
        builder.Services.AddSingleton<PendingRequests>();
        builder.Services.AddOptions<RateLimiterOptions>().Configure(limiter => limiter.AddPolicy<string, ClientRateLimit>(ClientRateLimit.PolicyName));
        return builder;
    }
}
