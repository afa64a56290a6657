using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AsyncRequests.Api.Clients;

public static class ClientServiceCollectionExtensions
{
    public const string PolicyName = "Client";

    /// <summary>Picks the scheme by the credentials: a client key (or none) or, when configured, a JWT.</summary>
    public const string SchemeName = "Client";

    public const string JwtSchemeName = "ClientJwt";

    private const string BearerPrefix = "Bearer ";

    /// <summary>The client schemes, the policy that guards the request routes, and the clients' quotas.</summary>
    public static IHostApplicationBuilder AddClientAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClientOptions>().BindConfiguration(ClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClientKeyLookup>();
        builder.Services.AddAuthentication()
            .AddPolicyScheme(SchemeName, "Client key or JWT", scheme => scheme.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ClientKeyHandler>(ClientKeyHandler.SchemeName, configureOptions: null)
            .AddJwtBearer(JwtSchemeName);
        builder.Services.AddOptions<JwtBearerOptions>(JwtSchemeName).Configure<IOptions<ClientOptions>>((jwt, clients) => ConfigureJwt(jwt, clients.Value.Jwt));
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.AddAuthenticationSchemes(SchemeName).RequireAuthenticatedUser());
        builder.Services.AddSingleton<PendingRequests>();
        builder.Services.AddOptions<RateLimiterOptions>().Configure(limiter => limiter.AddPolicy<(string, int, int), ClientRateLimit>(ClientRateLimit.PolicyName));
        return builder;
    }

    // A client key starts with its prefix and a JWT never does; no credentials at all go to the key scheme, which knows about anonymous.
    private static string SelectScheme(HttpContext http)
    {
        string? authorization = http.Request.Headers.Authorization;
        var isOtherBearer = authorization is not null
            && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            && !authorization[BearerPrefix.Length..].TrimStart().StartsWith(ClientKeys.KeyPrefix, StringComparison.Ordinal);
        return isOtherBearer && http.RequestServices.GetRequiredService<IOptions<ClientOptions>>().Value.Jwt.Enabled
            ? JwtSchemeName
            : ClientKeyHandler.SchemeName;
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, ClientJwtOptions options)
    {
        jwt.MapInboundClaims = false;
        jwt.Audience = options.Audience;
        if (!string.IsNullOrEmpty(options.Authority))
        {
            jwt.Authority = options.Authority;
        }
        else if (options.SigningKey is { } signingKey)
        {
            // No issuer to ask: the key itself is the trust, so the issuer is not checked.
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(signingKey));
            jwt.TokenValidationParameters.ValidateIssuer = false;
        }

        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                // The built-in client is no one's to claim; other ids must be ones a request row can hold.
                var clientId = context.Principal?.FindFirst(options.ClientIdClaim)?.Value;
                if (clientId is null || clientId == AsyncRequests.Requests.Storage.ApiClient.AnonymousId || !ClientKeys.IsWellFormedId(clientId))
                {
                    context.Fail($"The token has no usable {options.ClientIdClaim} claim.");
                    return Task.CompletedTask;
                }

                context.Principal = Callers.Principal(clientId, JwtSchemeName);
                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                await ClientChallenge.WriteAsync(context.HttpContext);
            },
        };
    }
}
