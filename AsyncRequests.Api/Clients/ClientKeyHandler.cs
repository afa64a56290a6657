using System.Text.Encodings.Web;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;client key&gt;</c>. Without a client key the caller is the client
/// <c>anonymous</c> where authentication is not required; a wrong client key is refused everywhere.
/// A failed challenge is a 401 ProblemDetails with <c>WWW-Authenticate: Bearer</c>; keys are never logged or echoed.
/// </summary>
public sealed class ClientKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ClientKeyLookup keys,
    IOptions<ClientOptions> clientOptions,
    IHostEnvironment environment)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ClientKey";

    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        if (headers.Count > 1)
        {
            return AuthenticateResult.Fail("Send one Authorization header.");
        }

        var token = headers.Count == 1 && headers[0] is { } authorization && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? authorization[BearerPrefix.Length..].Trim()
            : null;
        if (token is null || !token.StartsWith(ClientKeys.KeyPrefix, StringComparison.Ordinal))
        {
            // No client key. Where a caller may be anonymous, other credentials (say the admin key) get
            // no more than none would; where authentication is required, they get nothing.
            return clientOptions.Value.RequiresAuthentication(environment)
                ? AuthenticateResult.Fail("No client key was sent.")
                : Authenticated(ApiClient.AnonymousId);
        }

        return await keys.FindClientAsync(token, Context.RequestAborted) is { } clientId
            ? Authenticated(clientId)
            : AuthenticateResult.Fail("The client key is not valid.");
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => ClientChallenge.WriteAsync(Context);

    private static AuthenticateResult Authenticated(string clientId) =>
        AuthenticateResult.Success(new AuthenticationTicket(Callers.Principal(clientId, SchemeName), SchemeName));
}
