using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
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
    public async Task Events_carry_ids_and_a_retry_interval_so_a_reconnect_resumes_after_the_last_event_seen()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });

        var (_, first, retry) = await ReadEventsAsync(pipeline, id, lastEventId: null, stopAfter: 1);
        using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, TestContext.Current.CancellationToken);
        var (resumed, afterFirst, _) = await ReadEventsAsync(pipeline, id, first[0].EventId, stopAfter: int.MaxValue);
        var (caughtUp, afterLast, _) = await ReadEventsAsync(pipeline, id, afterFirst[^1].EventId, stopAfter: int.MaxValue);

        Assert.Equal(RequestStatus.Pending, Document(first[0]).Status);
        Assert.False(string.IsNullOrEmpty(first[0].EventId));
        Assert.Equal(TimeSpan.FromSeconds(1), retry);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resumed);
        var cancelled = Assert.Single(afterFirst);
        Assert.Equal(RequestStatus.Cancelled, Document(cancelled).Status);
        Assert.NotEqual(first[0].EventId, cancelled.EventId);
        // Nothing is left to send, and 204 is what tells an EventSource to stop reconnecting.
        Assert.Equal(HttpStatusCode.NoContent, caughtUp);
        Assert.Empty(afterLast);
    }

    [Fact]
    public async Task The_event_stream_of_an_unknown_request_is_a_404_problem()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.Client.GetAsync($"/requests/{Guid.CreateVersion7()}/events", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static RequestStatusDocument Document(SseItem<string> item) =>
        JsonSerializer.Deserialize<RequestStatusDocument>(item.Data, Infrastructure.Pipeline.JsonOptions)!;

    /// <summary>Reads up to <paramref name="stopAfter"/> events of one connection, sending <paramref name="lastEventId"/> as a reconnecting EventSource does.</summary>
    private static async Task<(HttpStatusCode Status, List<SseItem<string>> Events, TimeSpan Retry)> ReadEventsAsync(
        Infrastructure.Pipeline pipeline, Guid id, string? lastEventId, int stopAfter)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/requests/{id}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await pipeline.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        var events = new List<SseItem<string>>();
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var parser = SseParser.Create(stream);
        await foreach (var item in parser.EnumerateAsync(TestContext.Current.CancellationToken))
        {
            events.Add(item);
            if (events.Count == stopAfter)
            {
                break;
            }
        }

        return (response.StatusCode, events, parser.ReconnectionInterval);
    }
}
