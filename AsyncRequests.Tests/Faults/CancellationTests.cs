using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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
        var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(RequestStatus.Cancelled, done.Status);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Cancelled], done.History.Select(h => h.Status));
        Assert.Null(done.Result);
    }

    /// <summary>
    /// Cancelling running work is best effort: the handler may finish before its token fires. Whoever
    /// wins, each request ends in one terminal state, and its document says whether a cancel was asked for.
    /// </summary>
    [Fact]
    public async Task Cancels_racing_completion_leave_one_terminal_state_that_the_cancel_flag_explains()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Processor:CancellationCheckMilliseconds"] = "200",
        });
        var ids = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            // Handlers of 100 ms to 1 s against a 200 ms cancellation check: some finish first, some are stopped.
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2, delayMs = 100 + (i * 900 / 29) }));
        }

        // Submitting takes a while on a busy machine; only then may work start, for the cancels to race it.
        pipeline.StartProcessor();
        var answers = await CancelEachOnceStartedAsync(pipeline, ids);

        var outcomes = new List<string>();
        foreach (var (id, answer) in answers)
        {
            var done = await pipeline.WaitForTerminalAsync(id);
            var onTheWire = await pipeline.Client.GetFromJsonAsync<JsonElement>($"/requests/{id}", TestContext.Current.CancellationToken);
            var cancelRequested = onTheWire.GetProperty("cancelRequested").GetBoolean();
            var because = $"cancel answered {(int)answer}; request ended {onTheWire}";
            Assert.True(answer is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.Conflict, because);
            var terminal = Assert.Single(done.History, h => h.Status.IsTerminal());
            Assert.True(terminal == done.History[^1] && terminal.Status == done.Status, because);
            switch (done.Status)
            {
                case RequestStatus.Cancelled:
                    Assert.True(cancelRequested && answer != HttpStatusCode.Conflict && done.Result is null, because);
                    break;
                case RequestStatus.Succeeded:
                    // Finished before the cancel took effect: allowed, and visible to the client.
                    Assert.True(cancelRequested == (answer == HttpStatusCode.Accepted) && done.Result is not null, because);
                    break;
                default:
                    Assert.Fail(because);
                    break;
            }

            outcomes.Add($"{(int)answer} {done.Status.ToWireName()}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", outcomes.CountBy(o => o).Select(o => $"{o.Value} × {o.Key}")));
        Assert.Contains(answers, a => a.Answer == HttpStatusCode.Accepted);
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

    /// <summary>
    /// Cancels each request as soon as a worker has taken it, watching all of them with one query, so
    /// the cancels land while the handlers run (or just after they finished) rather than late.
    /// </summary>
    private static async Task<List<(Guid Id, HttpStatusCode Answer)>> CancelEachOnceStartedAsync(Infrastructure.Pipeline pipeline, List<Guid> ids)
    {
        var cancels = new List<Task<(Guid Id, HttpStatusCode Answer)>>();
        var waiting = ids.ToHashSet();
        await using var db = pipeline.CreateDbContext();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (waiting.Count > 0)
        {
            Assert.False(deadline.IsCancellationRequested, $"{waiting.Count} requests were never taken by a worker.");
            var started = await db.Requests.AsNoTracking()
                .Where(r => waiting.Contains(r.Id) && r.Status != RequestStatus.Pending)
                .Select(r => r.Id)
                .ToListAsync(TestContext.Current.CancellationToken);
            foreach (var id in started)
            {
                waiting.Remove(id);
                cancels.Add(CancelOnceAsync(id));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        return [.. await Task.WhenAll(cancels)];

        // A saturated Api answers 503 with Retry-After, which the contract tells a client to honour and ask again.
        async Task<(Guid Id, HttpStatusCode Answer)> CancelOnceAsync(Guid id)
        {
            while (true)
            {
                using var response = await CancelAsync(pipeline, id);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return (id, response.StatusCode);
                }

                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            }
        }
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
