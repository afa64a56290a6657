using System.Net;
using AsyncRequests.Api.Requests;
using AsyncRequests.Tests.Infrastructure;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

public sealed class OutageTests(TestServers servers)
{
    /// <summary>Event streams that read only when notified, or when the listener is back: no safety refresh within a test.</summary>
    private static readonly Dictionary<string, string?> s_notificationsOnly = new()
    {
        ["Requests:EventsRefreshSeconds"] = "3600",
    };

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
        // No safety refresh: the terminal event arrives notified, or by the read after the listener is back.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, postgres: postgres, settings: s_notificationsOnly);
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "watched through a restart", delayMs = 3000 });
        var events = new EventSourceClient(pipeline.Client, id);
        var following = events.FollowAsync(TestContext.Current.CancellationToken);
        await events.WaitForAsync(d => d.Status == RequestStatus.Processing);

        await postgres.StopAsync(TestContext.Current.CancellationToken);
        // Once the Api's own reads fail, the listener has lost its connection too.
        await Eventually.HoldsAsync(
            async () =>
            {
                using var poll = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
                return poll.StatusCode == HttpStatusCode.ServiceUnavailable;
            },
            () => "The Api never answered 503 after the database stopped.");
        await postgres.StartAgainAsync(TestContext.Current.CancellationToken);
        await following.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Empty(events.BrokenStreams);
        Assert.Equal(RequestStatus.Succeeded, events.Documents.Last().Status);
        Assert.Single(events.Documents, d => d.Status.IsTerminal());
    }

    [Fact]
    public async Task A_change_committed_while_the_listener_is_disconnected_reaches_the_stream_when_it_listens_again()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: s_notificationsOnly);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 4, num2 = 4 });
        var events = new EventSourceClient(pipeline.Client, id);
        var following = events.FollowAsync(TestContext.Current.CancellationToken);
        await events.WaitForAsync(d => d.Status == RequestStatus.Pending);
        var connectionString = new NpgsqlConnectionStringBuilder(pipeline.Settings["ConnectionStrings:requestsdb"]) { Pooling = false }.ConnectionString;
        await using var observer = new NpgsqlConnection(connectionString);
        await observer.OpenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, await TerminateListenerAsync(observer));
        using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, TestContext.Current.CancellationToken);
        // The listener waits out a backoff before it reconnects, so the cancel's notification went to no one.
        Assert.Equal(0, await CountListenersAsync(observer));
        await following.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(RequestStatus.Cancelled, events.Documents.Last().Status);
        Assert.Equal(1, await CountListenersAsync(observer));
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
        using var events = await pipeline.Client.GetAsync($"/requests/{id}/events", TestContext.Current.CancellationToken);
        foreach (var response in new[] { submit, poll, events })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        await postgres.StartAgainAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RequestStatus.Pending, (await pipeline.WaitUntilAsync(id, _ => true)).Status);
    }

    private static async Task<int> TerminateListenerAsync(NpgsqlConnection observer)
    {
        await using var terminate = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
            observer)
        {
            Parameters = { new NpgsqlParameter { Value = RequestChangeListener.ApplicationName } },
        };
        return (int)(long)(await terminate.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Sessions that listen on the pipeline's database, whether or not they are about to end.</summary>
    private static async Task<int> CountListenersAsync(NpgsqlConnection observer)
    {
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", observer)
        {
            Parameters = { new NpgsqlParameter { Value = RequestChangeListener.ApplicationName } },
        };
        return (int)(long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
