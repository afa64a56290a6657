using AsyncRequests.Client;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AsyncRequests.Tests.Client;

/// <summary>The client's wait over a cut stream, a refused stream, an Api restart, and its retries of a refused submit.</summary>
public sealed class ClientResilienceTests(TestServers servers)
{
    [Fact]
    public async Task A_wait_resumes_after_its_stream_is_cut_mid_way_without_seeing_an_event_twice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var traffic = new TrafficCounter { CutFirstStreamAfterBytes = 1000 };
        using var clients = new RequestsClients(pipeline.Client.BaseAddress!, handlers: traffic);
        var operation = await clients.Client.SubmitAsync(new TextAnalysisInput { Text = "Great queue.", DelayMs = 1500 }, cancellationToken: ct);

        var seen = new List<RequestStatusDocument>();
        await foreach (var document in operation.WatchAsync(ct))
        {
            seen.Add(document);
        }

        Assert.True(traffic.Streams >= 2, $"{traffic.Streams} streams");
        Assert.Null(traffic.LastEventIds[0]);
        Assert.NotNull(traffic.LastEventIds[1]);
        Assert.Equal(seen.Select(d => d.UpdatedAt).Distinct().Order(), seen.Select(d => d.UpdatedAt));
        Assert.Equal("positive", operation.Value.Ml.Sentiment);
    }

    [Fact]
    public async Task A_refused_stream_falls_back_to_polling()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var traffic = new TrafficCounter { RefuseStreams = true };
        using var clients = new RequestsClients(pipeline.Client.BaseAddress!, handlers: traffic);
        var operation = await clients.Client.SubmitAsync(new TransformInput { Text = "polled", DelayMs = 1500 }, cancellationToken: ct);

        var result = await operation.WaitForCompletionAsync(ct);

        Assert.Equal("POLLED", result.Upper);
        Assert.Equal(1, traffic.Streams);
        Assert.True(traffic.Polls >= 1, $"{traffic.Polls} polls");
    }

    [Fact]
    public async Task A_wait_holds_its_stream_through_the_standard_resilience_handler_beyond_its_timeouts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var traffic = new TrafficCounter();
        using var clients = new RequestsClients(
            pipeline.Client.BaseAddress!,
            http: builder => builder.AddStandardResilienceHandler(o =>
            {
                // Loose enough for a submit on a starved machine; the job outlasts them twice over.
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(3);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(6);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(6);
            }),
            handlers: traffic);
        var operation = await clients.Client.SubmitAsync(new TransformInput { Text = "resilient", DelayMs = 12_000 }, cancellationToken: ct);

        var result = await operation.WaitForCompletionAsync(ct);

        Assert.Equal("RESILIENT", result.Upper);
        Assert.Equal(1, traffic.Streams);
        Assert.Equal(0, traffic.Polls);
    }

    [Fact]
    public async Task A_wait_survives_a_restart_of_the_Api()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var (api, http) = await pipeline.StartApiProcessAsync();
        var address = http.BaseAddress!;
        using var clients = new RequestsClients(address);
        var operation = await clients.Client.SubmitAsync(new TextAnalysisInput { Text = "Survives restarts.", DelayMs = 8000 }, cancellationToken: ct);
        var wait = operation.WaitForCompletionAsync(ct);
        await Eventually.HoldsAsync(() => Task.FromResult(operation.Document is not null), () => "The wait never saw the request.");

        Assert.False(wait.IsCompleted);
        await api.KillAsync();
        http.Dispose();
        var (_, restartedHttp) = await pipeline.StartApiProcessAsync(address: address);
        restartedHttp.Dispose();
        var result = await wait;

        Assert.Equal(RequestStatus.Succeeded, operation.Status);
        Assert.Equal(2, result.Ocr.WordCount);
    }

    [Fact]
    public async Task A_submit_refused_with_503_is_retried_with_its_key_and_stored_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Backpressure:MaxWaitingRequests"] = "1",
            ["Backpressure:WaitingAgeSeconds"] = "0",
            ["Backpressure:RetryAfterSeconds"] = "1",
        });
        var traffic = new TrafficCounter();
        using var clients = new RequestsClients(pipeline.Client.BaseAddress!, o => o.SubmitAttempts = 20, handlers: traffic);
        using var single = new RequestsClients(pipeline.Client.BaseAddress!, o => o.SubmitAttempts = 1);
        ServiceBusyException? busy = null;
        while (busy is null)
        {
            try
            {
                await single.Client.SubmitAsync(new MultiplyInput { Num1 = 1, Num2 = 1 }, cancellationToken: ct);
            }
            catch (ServiceBusyException e)
            {
                busy = e;
            }
        }

        var submit = clients.Client.SubmitAsync(new MultiplyInput { Num1 = 6, Num2 = 7 }, new SubmitOptions { IdempotencyKey = "retried-once" }, ct);
        await Eventually.HoldsAsync(() => Task.FromResult(traffic.BusyAnswers >= 1), () => "The submit was never refused.");
        pipeline.StartProcessor();
        var operation = await submit;
        var result = await operation.WaitForCompletionAsync(ct);

        Assert.Equal(TimeSpan.FromSeconds(1), busy.RetryAfter);
        Assert.Equal(42, result.Product.GetInt32());
        Assert.True(traffic.Submits > traffic.BusyAnswers, $"{traffic.Submits} submits, {traffic.BusyAnswers} refused");
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(1, await db.Requests.CountAsync(r => r.IdempotencyKey == "retried-once", ct));
    }
}
