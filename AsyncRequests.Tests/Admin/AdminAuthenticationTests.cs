using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Admin;

public sealed class AdminAuthenticationTests(TestServers servers)
{
    [Fact]
    public async Task Without_a_configured_key_the_admin_routes_do_not_exist()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var client = pipeline.Client.AsAdmin();

        using var stats = await client.GetAsync("/admin/stats", TestContext.Current.CancellationToken);
        using var list = await client.GetAsync("/admin/requests", TestContext.Current.CancellationToken);
        using var retry = await client.PostAsync($"/admin/requests/{Guid.NewGuid()}/retry", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, stats.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-the-admin-key-at-all")]
    [InlineData("Bearer " + AdminKeys.Key + "x")]
    [InlineData("Basic " + AdminKeys.Key)]
    [InlineData("Bearer")]
    public async Task A_missing_or_wrong_key_is_a_401_problem_with_a_bearer_challenge(string? authorization)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/requests");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await pipeline.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(401, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("admin-key", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HEAD", "/admin/stats")]
    [InlineData("HEAD", "/admin/requests")]
    [InlineData("DELETE", "/admin/stats")]
    [InlineData("PUT", "/admin/requests")]
    [InlineData("POST", "/admin/stats")]
    [InlineData("GET", "/admin/requests/0196b2a8-2d4e-7000-8000-000000000001/retry")]
    [InlineData("OPTIONS", "/admin/requests/0196b2a8-2d4e-7000-8000-000000000001/cancel")]
    [InlineData("PURGE", "/admin/stats")]
    public async Task Without_a_key_every_method_on_an_admin_route_is_a_401(string method, string path)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await pipeline.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task With_a_key_HEAD_answers_as_GET_without_a_body_and_another_method_is_a_405_naming_the_allowed_ones()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var client = pipeline.Client.AsAdmin();

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/admin/stats"), TestContext.Current.CancellationToken);
        using var delete = await client.DeleteAsync("/admin/stats", TestContext.Current.CancellationToken);
        using var getRetry = await client.GetAsync($"/admin/requests/{Guid.NewGuid()}/retry", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal(["GET", "HEAD"], delete.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, getRetry.StatusCode);
        Assert.Equal(["POST"], getRetry.Content.Headers.Allow);
    }

    [Fact]
    public async Task Either_of_two_keys_opens_the_admin_API_so_a_key_can_be_rotated()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: AdminKeys.Settings(new() { ["Admin:ApiKeys:1"] = AdminKeys.RotatedKey }));

        foreach (var key in new[] { AdminKeys.Key, AdminKeys.RotatedKey })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await pipeline.Client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_short_key_stops_the_Api_at_start_without_naming_the_key()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = "short-secret" }));

        Assert.Contains("Admin:ApiKeys", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_admin_key_as_a_bearer_scheme_on_admin_operations_only()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());

        using var document = JsonDocument.Parse(await pipeline.Client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));

        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("AdminApiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var (path, method) in new[] { ("/admin/requests", "get"), ("/admin/stats", "get"), ("/admin/requests/{id}/retry", "post"), ("/admin/requests/{id}/cancel", "post") })
        {
            var security = paths.GetProperty(path).GetProperty(method).GetProperty("security");
            Assert.True(Assert.Single(security.EnumerateArray()).TryGetProperty("AdminApiKey", out _), $"{method} {path} does not ask for the admin key.");
        }

        Assert.False(paths.GetProperty("/requests/{id}").GetProperty("get").TryGetProperty("security", out _));
    }
}
