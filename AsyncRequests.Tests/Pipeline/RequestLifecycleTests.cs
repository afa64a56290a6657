using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class RequestLifecycleTests(TestServers servers)
{
    [Fact]
    public async Task A_request_goes_from_pending_through_processing_to_succeeded_with_its_history()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        using var response = await pipeline.PostAsync(new { type = "text-analysis", input = new { text = "good news travels fast", delayMs = 1500 } });
        var accepted = await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/requests/{accepted!.Id}", response.Headers.Location?.ToString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(RequestStatus.Pending, accepted.Status);

        var processing = await pipeline.WaitUntilAsync(accepted.Id, d => d.Status == RequestStatus.Processing && d.Progress.Stage is not null);
        Assert.Equal(1, processing.Attempts);
        Assert.InRange(processing.Progress.Percent, 0, 99);

        var done = await pipeline.WaitForTerminalAsync(accepted.Id);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal(100, done.Progress.Percent);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded], done.History.Select(h => h.Status));
        Assert.True(done.CreatedAt <= done.StartedAt && done.StartedAt <= done.CompletedAt);
        Assert.Equal(done.History.Select(h => h.At).Order(), done.History.Select(h => h.At));
        Assert.Matches("^[0-9a-f]{32}$", done.TraceId);
    }

    [Fact]
    public async Task Polling_a_finished_request_no_longer_asks_to_retry_after()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });
        await pipeline.WaitForTerminalAsync(id);

        using var response = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task An_unknown_id_is_a_404_problem()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.Client.GetAsync($"/requests/{Guid.CreateVersion7()}", TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
