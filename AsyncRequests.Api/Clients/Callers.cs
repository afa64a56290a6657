using System.Security.Claims;

namespace AsyncRequests.Api.Clients;

/// <summary>The authenticated client behind a call of the request routes.</summary>
public static class Callers
{
    public const string ClientIdClaim = "client_id";

    public static ClaimsPrincipal Principal(string clientId, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClientIdClaim, clientId)], scheme));

    /// <summary>The caller's client id; the request routes require an authenticated caller, so there always is one.</summary>
    public static string ClientId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClientIdClaim) ?? throw new InvalidOperationException("The caller has no client id; is the route missing its authorization policy?");

    public static bool RequiresAuthentication(this ClientOptions options, IHostEnvironment environment) =>
        options.RequireAuthentication ?? !environment.IsDevelopment();
}
