using System.Net;
using System.Text;
using AsyncRequests.Api;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// Every answer, page, script, JSON or ProblemDetails, forbids framing, MIME sniffing, referrers and
/// any script or style but the Api's own files.
/// </summary>
public sealed class SecurityHeadersTests(TestServers servers) : IAsyncLifetime
{
    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync() => _pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    public static TheoryData<string, string, HttpStatusCode, string> Answers => new()
    {
        { "the submit page", "/", HttpStatusCode.OK, "text/html" },
        { "the ops page", "/admin/", HttpStatusCode.OK, "text/html" },
        { "a page script", "/admin/admin.js", HttpStatusCode.OK, "text/javascript" },
        { "a JSON answer", "/request-types", HttpStatusCode.OK, "application/json" },
        { "a ProblemDetails error", $"/requests/{Guid.Empty}", HttpStatusCode.NotFound, "application/problem+json" },
        { "the OpenAPI document", "/openapi/v1.json", HttpStatusCode.OK, "application/json" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Every_answer_carries_the_security_headers(string because, string path, HttpStatusCode status, string mediaType)
    {
        using var response = await _pipeline.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == status, $"{because}: {response.StatusCode}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        AssertSecurityHeaders(response, SecurityHeaders.ContentSecurityPolicy);
    }

    [Fact]
    public async Task A_validation_problem_carries_the_security_headers()
    {
        using var response = await _pipeline.Client.PostAsync(
            "/requests", new StringContent("""{"type":"divide","input":{}}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertSecurityHeaders(response, SecurityHeaders.ContentSecurityPolicy);
    }

    [Fact]
    public async Task The_API_reference_has_a_looser_policy_that_still_forbids_framing()
    {
        using var response = await _pipeline.Client.GetAsync("/scalar", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response, SecurityHeaders.ApiReferencePolicy);
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response, string policy)
    {
        Assert.Equal(policy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }
}
