using System.Net;
using System.Text.Json;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientAuthenticationTests(TestServers servers)
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer ar_not-a-key-this-api-handed-out")]
    [InlineData("Bearer " + AdminKeys.Key)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    public async Task Missing_or_wrong_credentials_are_a_401_problem_and_store_nothing(string? authorization)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/requests")
        {
            Content = new StringContent("""{"type": "multiply", "input": {"num1": 2, "num2": 3}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await pipeline.Client.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertUnauthorizedAsync(response);
        Assert.Equal(0, await pipeline.CountRequestsAsync());
    }

    [Fact]
    public async Task Every_request_route_needs_credentials_when_authentication_is_required()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var id = Guid.CreateVersion7();

        using var get = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
        using var events = await pipeline.Client.GetAsync($"/requests/{id}/events", TestContext.Current.CancellationToken);
        using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, TestContext.Current.CancellationToken);

        await AssertUnauthorizedAsync(get);
        await AssertUnauthorizedAsync(events);
        await AssertUnauthorizedAsync(cancel);
    }

    [Fact]
    public async Task A_valid_key_submits_as_its_client()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var created = await pipeline.CreateAsync("Billing service");
        using var client = pipeline.ClientWith(created.Key);

        using var response = await client.SubmitAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(created.Id, await db.Requests.Select(r => r.ClientId).SingleAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_within_the_cache_period_and_the_other_key_still_works()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: TestClients.Settings(new() { ["Clients:KeyCacheSeconds"] = "1" }));
        var created = await pipeline.CreateAsync("Billing service");
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        using var rotated = await admin.PostAsync($"/admin/clients/{created.Id}/keys", null, TestContext.Current.CancellationToken);
        var second = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<Api.Admin.KeyCreated>(rotated.Content, TestContext.Current.CancellationToken);
        using var oldKey = pipeline.ClientWith(created.Key);
        using var newKey = pipeline.ClientWith(second!.Key);
        using (var before = await oldKey.SubmitAsync())
        {
            Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        }

        using var revoke = await admin.DeleteAsync($"/admin/clients/{created.Id}/keys/{created.KeyId}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await Eventually.HoldsAsync(
            async () =>
            {
                using var after = await oldKey.SubmitAsync();
                return after.StatusCode == HttpStatusCode.Unauthorized;
            },
            () => "The revoked key was still accepted.",
            TimeSpan.FromSeconds(10));
        using var withNewKey = await newKey.SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, withNewKey.StatusCode);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal([created.Id], await db.Requests.Select(r => r.ClientId).Distinct().ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_disabled_client_is_refused_until_enabled_again()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: TestClients.Settings(new() { ["Clients:KeyCacheSeconds"] = "0" }));
        var created = await pipeline.CreateAsync("Billing service");
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        using var client = pipeline.ClientWith(created.Key);

        using var disable = await admin.PostAsync($"/admin/clients/{created.Id}/disable", null, TestContext.Current.CancellationToken);
        using var whileDisabled = await client.SubmitAsync();
        var countWhileDisabled = await pipeline.CountRequestsAsync();
        using var enable = await admin.PostAsync($"/admin/clients/{created.Id}/enable", null, TestContext.Current.CancellationToken);
        using var afterEnabled = await client.SubmitAsync();

        Assert.Equal(HttpStatusCode.NoContent, disable.StatusCode);
        await AssertUnauthorizedAsync(whileDisabled);
        Assert.Equal(0, countWhileDisabled);
        Assert.Equal(HttpStatusCode.NoContent, enable.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, afterEnabled.StatusCode);
    }

    [Fact]
    public async Task Where_authentication_is_not_required_a_caller_without_a_client_key_is_anonymous_but_a_wrong_key_is_refused()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        using var wrongKey = pipeline.ClientWith("ar_not-a-key-this-api-handed-out");
        using var adminKey = pipeline.ClientWith(AdminKeys.Key);

        using var anonymous = await pipeline.Client.SubmitAsync();
        using var withAdminKey = await adminKey.SubmitAsync();
        using var refused = await wrongKey.SubmitAsync();

        Assert.Equal(HttpStatusCode.Accepted, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withAdminKey.StatusCode);
        await AssertUnauthorizedAsync(refused);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(["anonymous", "anonymous"], await db.Requests.Select(r => r.ClientId).ToListAsync(TestContext.Current.CancellationToken));
    }

    // Without the setting only Development lets a caller without a key in (as the anonymous client, see the test
    // above: the test host runs as Development unless told otherwise).
    [Fact]
    public async Task In_Production_authentication_is_required_without_a_setting()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: new Dictionary<string, string?> { ["environment"] = "Production" });
        Assert.DoesNotContain("Clients:RequireAuthentication", pipeline.Settings.Keys);

        using var response = await pipeline.Client.SubmitAsync();

        await AssertUnauthorizedAsync(response);
        Assert.Equal(0, await pipeline.CountRequestsAsync());
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(401, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }
}
