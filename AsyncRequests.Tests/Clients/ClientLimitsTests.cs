using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientLimitsTests(TestServers servers)
{
    [Fact]
    public async Task A_rate_override_refuses_one_clients_burst_while_another_client_keeps_the_default_rate()
    {
        // No key cache: the override set after the first submit applies to the next one.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            settings: TestClients.Settings(new() { ["Clients:RequestsPerSecond"] = "1000", ["Clients:KeyCacheSeconds"] = "0" }));
        var limited = await pipeline.CreateAsync("Limited");
        var other = await pipeline.CreateAsync("Other");
        using var asLimited = pipeline.ClientWith(limited.Key);
        using var asOther = pipeline.ClientWith(other.Key);
        using var beforeOverride = await asLimited.SubmitAsync();

        using var set = await SetLimitsAsync(pipeline, limited.Id, new { requestsPerSecond = 1, burst = 2 });
        var fromLimited = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => asLimited.SubmitAsync()));
        var fromOther = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => asOther.SubmitAsync()));

        Assert.Equal(HttpStatusCode.Accepted, beforeOverride.StatusCode);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var refused = fromLimited.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.NotNull(r.Headers.RetryAfter));
        Assert.All(fromOther, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(
            1 + fromLimited.Count(r => r.StatusCode == HttpStatusCode.Accepted),
            await db.Requests.CountAsync(r => r.ClientId == limited.Id, TestContext.Current.CancellationToken));
        foreach (var response in fromLimited.Concat(fromOther))
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_pending_cap_override_refuses_one_client_while_another_keeps_the_default_cap_and_the_list_shows_it()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: TestClients.Settings(new() { ["Clients:MaxPendingRequests"] = "3" }));
        var capped = await pipeline.CreateAsync("Capped");
        var other = await pipeline.CreateAsync("Other");
        using var set = await SetLimitsAsync(pipeline, capped.Id, new { maxPendingRequests = 1 });
        using var asCapped = pipeline.ClientWith(capped.Key);
        using var asOther = pipeline.ClientWith(other.Key);

        using var first = await asCapped.SubmitAsync();
        using var second = await asCapped.SubmitAsync();
        var fromOther = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await asOther.SubmitAsync();
            fromOther.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(new ClientLimitOverrides(null, null, 1), await set.Content.ReadFromJsonAsync<ClientLimitOverrides>(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("1 unfinished", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], fromOther);
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        var clients = await admin.GetFromJsonAsync<List<ClientSummary>>("/admin/clients", JsonSerializerOptions.Web, TestContext.Current.CancellationToken);
        Assert.Equal(new ClientLimitOverrides(null, null, 1), Assert.Single(clients!, c => c.Id == capped.Id).Limits);
        Assert.Equal(new ClientLimitOverrides(null, null, null), Assert.Single(clients!, c => c.Id == other.Id).Limits);
    }

    [Theory]
    [InlineData("{\"requestsPerSecond\": -1}", "requestsPerSecond")]
    [InlineData("{\"burst\": 1000001}", "burst")]
    [InlineData("{\"maxPendingRequests\": \"ten\"}", "maxPendingRequests")]
    [InlineData("{\"burst\": 1.5}", "burst")]
    [InlineData("not json", "body")]
    [InlineData("[]", "body")]
    public async Task A_bad_limits_body_is_a_400_problem_naming_the_field_and_changes_nothing(string body, string field)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var client = await pipeline.CreateAsync("Billing service");

        using var response = await pipeline.AdminAsync(
            HttpMethod.Put, $"/admin/clients/{client.Id}/limits", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        await using var db = pipeline.CreateDbContext();
        var row = await db.Clients.SingleAsync(c => c.Id == client.Id, TestContext.Current.CancellationToken);
        Assert.Equal((null, null, null), (row.RequestsPerSecond, row.Burst, row.MaxPendingRequests));
    }

    [Theory]
    [InlineData("/admin/clients/cl_0000000000000000/limits")]
    [InlineData("/admin/clients/bad%20id/limits")]
    public async Task Limits_of_an_unknown_client_are_a_404_problem(string path)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());

        using var response = await pipeline.AdminAsync(HttpMethod.Put, path, JsonContent.Create(new { burst = 5 }));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static Task<HttpResponseMessage> SetLimitsAsync(Infrastructure.Pipeline pipeline, string clientId, object limits) =>
        pipeline.AdminAsync(HttpMethod.Put, $"/admin/clients/{clientId}/limits", JsonContent.Create(limits));
}
