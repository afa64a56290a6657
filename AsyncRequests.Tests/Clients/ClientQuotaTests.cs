using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientQuotaTests(TestServers servers)
{
    [Fact]
    public async Task A_burst_beyond_a_clients_rate_is_refused_with_429_and_Retry_After_and_stores_nothing_while_others_go_on()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: TestClients.Settings(new() { ["Clients:RequestsPerSecond"] = "1", ["Clients:Burst"] = "3" }));
        var busy = await pipeline.CreateAsync("Busy");
        var quiet = await pipeline.CreateAsync("Quiet");
        using var asBusy = pipeline.ClientWith(busy.Key);
        using var asQuiet = pipeline.ClientWith(quiet.Key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => asBusy.SubmitAsync()));
        using var fromQuiet = await asQuiet.SubmitAsync();

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.NotEmpty(refused);
        Assert.Equal(responses.Length, refused.Count + accepted);
        foreach (var response in refused)
        {
            await AssertQuotaProblemAsync(response);
        }

        Assert.Equal(HttpStatusCode.Accepted, fromQuiet.StatusCode);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(accepted, await db.Requests.CountAsync(r => r.ClientId == busy.Id, TestContext.Current.CancellationToken));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_client_at_its_pending_cap_is_refused_with_429_until_one_of_its_requests_finishes()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers, processors: 0, settings: TestClients.Settings(new() { ["Clients:MaxPendingRequests"] = "2" }));
        var capped = await pipeline.CreateAsync("Capped");
        var other = await pipeline.CreateAsync("Other");
        using var asCapped = pipeline.ClientWith(capped.Key);
        using var asOther = pipeline.ClientWith(other.Key);
        using var first = await asCapped.SubmitAsync();
        using var second = await asCapped.SubmitAsync();

        using var third = await asCapped.SubmitAsync();
        var storedAtCap = await pipeline.CountRequestsAsync();
        using var fromOther = await asOther.SubmitAsync();
        var firstId = (await first.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken))!.Id;
        using var cancel = await asCapped.PostAsync($"/requests/{firstId}/cancel", null, TestContext.Current.CancellationToken);
        using var afterCancel = await asCapped.SubmitAsync();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        await AssertQuotaProblemAsync(third);
        Assert.Equal(2, storedAtCap);
        Assert.Equal(HttpStatusCode.Accepted, fromOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, afterCancel.StatusCode);
    }

    private static async Task AssertQuotaProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(429, body.GetProperty("status").GetInt32());
    }
}
