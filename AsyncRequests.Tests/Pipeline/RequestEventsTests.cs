using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class RequestEventsTests(TestServers servers)
{
    [Fact]
    public async Task The_event_stream_sends_each_change_in_order_and_ends_when_the_request_is_terminal()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "stream me", delayMs = 1500 });

        using var response = await pipeline.Client.GetAsync($"/requests/{id}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var documents = new List<RequestStatusDocument>();
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(TestContext.Current.CancellationToken))
        {
            Assert.Equal("status", item.EventType);
            documents.Add(JsonSerializer.Deserialize<RequestStatusDocument>(item.Data, Infrastructure.Pipeline.JsonOptions)!);
        }

        Assert.Equal(RequestStatus.Succeeded, documents[^1].Status);
        Assert.Contains(documents, d => d.Status == RequestStatus.Processing && d.Progress.Stage == "ml");
        Assert.Equal(documents.Select(d => d.UpdatedAt).Order(), documents.Select(d => d.UpdatedAt));
        Assert.Equal(documents.Count, documents.Select(d => (d.Status, d.UpdatedAt)).Distinct().Count());
    }

    [Fact]
    public async Task The_event_stream_of_an_unknown_request_is_a_404_problem()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.Client.GetAsync($"/requests/{Guid.CreateVersion7()}/events", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
