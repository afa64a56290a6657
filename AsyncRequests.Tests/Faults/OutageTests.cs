using System.Net;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class OutageTests(TestServers servers)
{
    [Fact]
    public async Task Every_request_accepted_while_SQS_is_down_completes_after_it_returns()
    {
        await using var sqs = await SqsServer.StartAsync(persistent: true, TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, sqs: sqs);
        var ids = new List<Guid>();

        // A steady stream of submits: before, during and after the outage.
        for (var i = 0; i < 30; i++)
        {
            if (i == 10)
            {
                await sqs.StopAsync();
            }

            if (i == 20)
            {
                await sqs.StartAgainAsync(TestContext.Current.CancellationToken);
            }

            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2 }));
        }

        var statuses = new List<RequestStatus>();
        foreach (var id in ids)
        {
            statuses.Add((await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60))).Status);
        }

        Assert.Equal(Enumerable.Repeat(RequestStatus.Succeeded, 30), statuses);
    }

    [Fact]
    public async Task The_processor_rides_out_a_database_restart_and_loses_no_request()
    {
        await using var postgres = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, postgres: postgres);
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await pipeline.SubmitAsync("text-analysis", new { text = $"request {i} is good", delayMs = 1500 }));
        }

        await pipeline.WaitUntilAsync(ids[0], d => d.Status == RequestStatus.Processing);
        await postgres.StopAsync(TestContext.Current.CancellationToken);
        await postgres.StartAgainAsync(TestContext.Current.CancellationToken);

        foreach (var id in ids)
        {
            var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(90));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Single(done.History, h => h.Status == RequestStatus.Succeeded);
        }

        // Still polling after the restart: new work completes too.
        var after = await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 3 }));
        Assert.Equal(RequestStatus.Succeeded, after.Status);
    }

    [Fact]
    public async Task An_event_stream_rides_out_a_database_restart_and_still_ends_with_the_terminal_event()
    {
        await using var postgres = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, postgres: postgres, settings: new Dictionary<string, string?>
        {
            ["Requests:EventsPollMilliseconds"] = "50",
        });
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "watched through a restart", delayMs = 3000 });
        var events = new EventSourceClient(pipeline.Client, id);
        var following = events.FollowAsync(TestContext.Current.CancellationToken);
        await events.WaitForAsync(d => d.Status == RequestStatus.Processing);

        await postgres.StopAsync(TestContext.Current.CancellationToken);
        // Once the Api's own reads fail, the stream (reading 20 times a second) has met the outage too.
        await WaitUntilAsync(async () =>
        {
            using var poll = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
            return poll.StatusCode == HttpStatusCode.ServiceUnavailable;
        });
        await postgres.StartAgainAsync(TestContext.Current.CancellationToken);
        await following.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Empty(events.BrokenStreams);
        Assert.Equal(RequestStatus.Succeeded, events.Documents.Last().Status);
        Assert.Single(events.Documents, d => d.Status.IsTerminal());
    }

    [Fact]
    public async Task While_the_database_is_down_the_api_answers_503_problems_not_500s()
    {
        await using var postgres = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, postgres: postgres);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 });

        await postgres.StopAsync(TestContext.Current.CancellationToken);

        using var submit = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 2, num2 = 2 } });
        using var poll = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
        foreach (var response in new[] { submit, poll })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        await postgres.StartAgainAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RequestStatus.Pending, (await pipeline.WaitUntilAsync(id, _ => true)).Status);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.False(deadline.IsCancellationRequested, "The condition never held.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }
    }
}
