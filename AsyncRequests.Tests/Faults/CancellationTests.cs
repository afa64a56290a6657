using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class CancellationTests(TestServers servers)
{
    [Fact]
    public async Task Cancelling_a_pending_request_cancels_it_at_once_and_it_is_never_processed()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });

        using var response = await CancelAsync(pipeline, id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadFromJsonAsync<RequestStatusDocument>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(RequestStatus.Cancelled, document!.Status);

        pipeline.StartProcessor();
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
        var after = await pipeline.GetAsync(id);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Cancelled], after.History.Select(h => h.Status));
        Assert.Equal(0, after.Attempts);
    }

    [Fact]
    public async Task Cancelling_a_processing_request_stops_its_handler_and_ends_it_cancelled()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "a long job", delayMs = 60_000 });
        await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);

        using var response = await CancelAsync(pipeline, id);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // The handler would run for a minute; only its cancellation token firing ends it this soon.
        var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(5));
        Assert.Equal(RequestStatus.Cancelled, done.Status);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Cancelled], done.History.Select(h => h.Status));
        Assert.Null(done.Result);
    }

    [Fact]
    public async Task Cancelling_twice_is_harmless()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });

        using var first = await CancelAsync(pipeline, id);
        using var second = await CancelAsync(pipeline, id);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var after = await pipeline.GetAsync(id);
        Assert.Single(after.History, h => h.Status == RequestStatus.Cancelled);
    }

    [Fact]
    public async Task Cancelling_a_finished_request_is_a_409_problem_and_changes_nothing()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 4, num2 = 2 });
        var done = await pipeline.WaitForTerminalAsync(id);

        using var response = await CancelAsync(pipeline, id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(done, await pipeline.GetAsync(id), new StatusDocumentComparer());
    }

    [Fact]
    public async Task Cancelling_an_unknown_request_is_a_404_problem()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await CancelAsync(pipeline, Guid.CreateVersion7());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static Task<HttpResponseMessage> CancelAsync(Infrastructure.Pipeline pipeline, Guid id) =>
        pipeline.Client.PostAsync($"/requests/{id}/cancel", null, TestContext.Current.CancellationToken);

    /// <summary>Documents hold lists and JSON, which records compare by reference; compare what a client reads.</summary>
    private sealed class StatusDocumentComparer : IEqualityComparer<RequestStatusDocument>
    {
        public bool Equals(RequestStatusDocument? x, RequestStatusDocument? y) =>
            System.Text.Json.JsonSerializer.Serialize(x, Infrastructure.Pipeline.JsonOptions) == System.Text.Json.JsonSerializer.Serialize(y, Infrastructure.Pipeline.JsonOptions);

        public int GetHashCode(RequestStatusDocument obj) => obj.Id.GetHashCode();
    }
}
