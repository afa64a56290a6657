using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Tests.Clients;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace AsyncRequests.Tests.Admin;

/// <summary>The operators' reads of one request, on a service that requires authentication: any client's request, with the admin key only.</summary>
public sealed class AdminRequestReadTests(TestServers servers)
{
    [Fact]
    public async Task The_admin_key_reads_another_clients_request_and_follows_its_events_to_the_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var owner = await pipeline.CreateAsync("Owner");
        using var asOwner = pipeline.ClientWith(owner.Key);
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        var id = await SubmitAsync(asOwner);

        var seenByOwner = await asOwner.GetFromJsonAsync<RequestStatusDocument>($"/requests/{id}", Infrastructure.Pipeline.JsonOptions, ct);
        var seenByAdmin = await admin.GetFromJsonAsync<RequestStatusDocument>($"{AdminApi.Prefix}/requests/{id}", Infrastructure.Pipeline.JsonOptions, ct);

        Assert.Equal(owner.Id, seenByAdmin!.ClientId);
        Assert.Equal(JsonSerializer.Serialize(seenByOwner, Infrastructure.Pipeline.JsonOptions), JsonSerializer.Serialize(seenByAdmin, Infrastructure.Pipeline.JsonOptions));

        using var head = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{AdminApi.Prefix}/requests/{id}"), ct);
        using var postEvents = await admin.PostAsync($"{AdminApi.Prefix}/requests/{id}/events", null, ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, postEvents.StatusCode);
        Assert.Equal(["GET"], postEvents.Content.Headers.Allow);

        var events = new EventSourceClient(admin, id, AdminApi.Prefix);
        var following = events.FollowAsync(ct);
        await events.WaitForAsync(d => d.Status == RequestStatus.Pending);
        using var cancelled = await admin.PostAsync($"{AdminApi.Prefix}/requests/{id}/cancel", null, ct);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        await following;

        Assert.Equal(RequestStatus.Pending, events.Documents.First().Status);
        Assert.Equal(RequestStatus.Cancelled, events.Documents.Last().Status);
        Assert.All(events.Documents, d => Assert.Equal(owner.Id, d.ClientId));
        Assert.Equal(1, events.Connections);
    }

    [Fact]
    public async Task Without_the_admin_key_the_reads_answer_401_and_an_unknown_request_404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var owner = await pipeline.CreateAsync("Owner");
        using var asOwner = pipeline.ClientWith(owner.Key);
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        using var anonymous = new HttpClient { BaseAddress = pipeline.Client.BaseAddress };
        var id = await SubmitAsync(asOwner);
        var unknown = Guid.CreateVersion7();

        foreach (var path in new[] { "/requests/{0}", "/requests/{0}/events" })
        {
            using var withoutKey = await anonymous.GetAsync(AdminApi.Prefix + string.Format(path, id), ct);
            using var withClientKey = await asOwner.GetAsync(AdminApi.Prefix + string.Format(path, id), ct);
            using var missing = await admin.GetAsync(AdminApi.Prefix + string.Format(path, unknown), ct);

            Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, withClientKey.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            var problem = await missing.Content.ReadFromJsonAsync<ProblemDetails>(ct);
            Assert.Equal($"There is no request {unknown}.", problem!.Detail);
        }
    }

    private static async Task<Guid> SubmitAsync(HttpClient client)
    {
        using var response = await client.SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken))!.Id;
    }
}
