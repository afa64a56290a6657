using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientOwnershipTests(TestServers servers)
{
    [Fact]
    public async Task Another_client_gets_404_on_every_route_of_a_request_exactly_as_for_an_unknown_one()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var owner = await pipeline.CreateAsync("Owner");
        var other = await pipeline.CreateAsync("Other");
        using var asOwner = pipeline.ClientWith(owner.Key);
        using var asOther = pipeline.ClientWith(other.Key);
        var id = await SubmitAsync(asOwner);
        var unknown = Guid.CreateVersion7();

        foreach (var (method, path) in new[] { ("GET", "/requests/{0}"), ("GET", "/requests/{0}/events"), ("POST", "/requests/{0}/cancel") })
        {
            using var foreign = await asOther.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(path, id)), TestContext.Current.CancellationToken);
            using var missing = await asOther.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(path, unknown)), TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal(
                await ProblemWithoutIdAsync(missing, unknown),
                await ProblemWithoutIdAsync(foreign, id));
        }

        var document = await asOwner.GetFromJsonAsync<RequestStatusDocument>($"/requests/{id}", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(owner.Id, document!.ClientId);
        Assert.Equal(RequestStatus.Pending, document.Status);
        Assert.False(document.CancelRequested);
    }

    [Fact]
    public async Task The_same_idempotency_key_from_two_clients_makes_two_requests()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var first = await pipeline.CreateAsync("First");
        var second = await pipeline.CreateAsync("Second");
        using var asFirst = pipeline.ClientWith(first.Key);
        using var asSecond = pipeline.ClientWith(second.Key);

        using var fromFirst = await asFirst.SubmitAsync(idempotencyKey: "order-42");
        using var fromSecond = await asSecond.SubmitAsync(idempotencyKey: "order-42");
        using var replay = await asFirst.SubmitAsync(idempotencyKey: "order-42");

        Assert.Equal(HttpStatusCode.Accepted, fromFirst.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, fromSecond.StatusCode);
        Assert.False(fromSecond.Headers.Contains("Idempotent-Replayed"));
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(fromFirst.Headers.Location, fromSecond.Headers.Location);
        Assert.Equal(fromFirst.Headers.Location, replay.Headers.Location);
        await using var db = pipeline.CreateDbContext();
        var owners = await db.Requests.Where(r => r.IdempotencyKey == "order-42").Select(r => r.ClientId).OrderBy(c => c).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(new[] { first.Id, second.Id }.Order(), owners);
    }

    [Fact]
    public async Task The_admin_list_shows_each_owner_and_filters_by_client()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var first = await pipeline.CreateAsync("First");
        var second = await pipeline.CreateAsync("Second");
        using var asFirst = pipeline.ClientWith(first.Key);
        using var asSecond = pipeline.ClientWith(second.Key);
        var firstIds = new[] { await SubmitAsync(asFirst), await SubmitAsync(asFirst) };
        var secondId = await SubmitAsync(asSecond);
        using var admin = pipeline.ClientWith(AdminKeys.Key);

        var all = await admin.GetFromJsonAsync<RequestPage>("/admin/requests", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        var filtered = await admin.GetFromJsonAsync<RequestPage>($"/admin/requests?client={first.Id}", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        using var cancelled = await admin.PostAsync($"/admin/requests/{secondId}/cancel", null, TestContext.Current.CancellationToken);

        Assert.Equal(3, all!.Items.Count);
        Assert.Equal(second.Id, Assert.Single(all.Items, r => r.Id == secondId).ClientId);
        Assert.Equal(firstIds.Order(), filtered!.Items.Select(r => r.Id).Order());
        Assert.All(filtered.Items, r => Assert.Equal(first.Id, r.ClientId));
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    private static async Task<Guid> SubmitAsync(HttpClient client)
    {
        using var response = await client.SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions))!.Id;
    }

    /// <summary>The problem body with the request id blanked out, so a foreign and an unknown id compare equal.</summary>
    private static async Task<string> ProblemWithoutIdAsync(HttpResponseMessage response, Guid id)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return string.Join('|', body.EnumerateObject().Where(p => p.Name != "traceId").Select(p => $"{p.Name}={p.Value.ToString().Replace(id.ToString(), "ID", StringComparison.Ordinal)}"));
    }
}
