using System.Net;
using System.Security.Claims;
using System.Text;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientJwtTests(TestServers servers)
{
    private const string SigningKey = "test-jwt-signing-key-0123456789-abcdef";
    private const string Audience = "asyncrequests";

    private static Dictionary<string, string?> Settings => TestClients.Settings(new()
    {
        ["Clients:Jwt:Audience"] = Audience,
        ["Clients:Jwt:SigningKey"] = SigningKey,
        ["Clients:Jwt:ClientIdClaim"] = "client",
    });

    [Fact]
    public async Task A_token_signed_with_the_configured_key_for_the_audience_submits_as_the_client_it_names()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: Settings);
        using var client = pipeline.ClientWith(Mint(clientId: "partner-7"));

        using var response = await client.SubmitAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal("partner-7", await db.Requests.Select(r => r.ClientId).SingleAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("wrong-audience")]
    [InlineData("wrong-key")]
    [InlineData("no-client-claim")]
    [InlineData("anonymous")]
    [InlineData("unstorable-client")]
    public async Task An_expired_wrong_audience_or_otherwise_unusable_token_is_a_401_problem_and_stores_nothing(string flaw)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: Settings);
        var token = flaw switch
        {
            "expired" => Mint(expiresIn: TimeSpan.FromMinutes(-10)),
            "wrong-audience" => Mint(audience: "someone-else"),
            "wrong-key" => Mint(signingKey: SigningKey.ToUpperInvariant()),
            "no-client-claim" => Mint(clientId: null),
            "anonymous" => Mint(clientId: "anonymous"),
            _ => Mint(clientId: "bad client id"),
        };
        using var client = pipeline.ClientWith(token);

        using var response = await client.SubmitAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await pipeline.CountRequestsAsync());
    }

    private static string Mint(string? clientId = "partner-7", string audience = Audience, string signingKey = SigningKey, TimeSpan? expiresIn = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(5));
        var claims = clientId is null ? [] : new[] { new Claim("client", clientId) };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Audience = audience,
            Issuer = "https://issuer.test",
            IssuedAt = expires.AddMinutes(-10),
            NotBefore = expires.AddMinutes(-10),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
