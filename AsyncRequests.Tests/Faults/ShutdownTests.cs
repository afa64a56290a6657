using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class ShutdownTests(TestServers servers)
{
    [Fact]
    public async Task On_SIGTERM_running_short_jobs_finish_before_the_processor_exits()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Processor:DrainTimeoutSeconds"] = "30",
        });
        var stopping = pipeline.StartProcessorProcess();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2, delayMs = 2000 }));
        }

        foreach (var id in ids)
        {
            await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);
        }

        Assert.Equal(0, await stopping.TerminateAsync(TestContext.Current.CancellationToken));

        foreach (var id in ids)
        {
            // Finished by the stopping worker itself: one attempt, no hand-over.
            var done = await pipeline.GetAsync(id);
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded], done.History.Select(h => h.Status));
        }
    }

    [Fact]
    public async Task On_SIGTERM_long_jobs_are_handed_back_and_another_processor_takes_them_at_once()
    {
        const int visibilityTimeoutSeconds = 30;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = $"{visibilityTimeoutSeconds}",
            ["Processor:DrainTimeoutSeconds"] = "1",
        });
        var stopping = pipeline.StartProcessorProcess();
        var ids = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3, delayMs = 4000 }));
        }

        foreach (var id in ids)
        {
            await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);
        }

        Assert.Equal(0, await stopping.TerminateAsync(TestContext.Current.CancellationToken));
        foreach (var id in ids)
        {
            var released = await pipeline.GetAsync(id);
            Assert.Equal(RequestStatus.Pending, released.Status);
            Assert.Equal(0, released.Attempts);
        }

        pipeline.StartProcessor();

        foreach (var id in ids)
        {
            var done = await pipeline.WaitForTerminalAsync(id);
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Equal(1, done.Attempts);
            Assert.Equal(
                [RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded],
                done.History.Select(h => h.Status));
            Assert.Equal("released by a stopping worker", done.History[2].Detail);

            // Handed back with visibility 0: taken long before the visibility timeout would have let it go.
            Assert.True(done.History[3].At - done.History[2].At < TimeSpan.FromSeconds(visibilityTimeoutSeconds));
        }
    }

    [Fact]
    public async Task With_the_default_long_poll_SIGTERM_hands_a_long_job_back_within_the_drain_timeout_and_starts_nothing_new()
    {
        const int drainTimeoutSeconds = 2;
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Processor:WaitTimeSeconds"] = "20",
            ["Processor:DrainTimeoutSeconds"] = $"{drainTimeoutSeconds}",
            ["Queue:VisibilityTimeoutSeconds"] = "60",
        });
        var stopping = pipeline.StartProcessorProcess();
        var longJob = await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 4, delayMs = 20_000 });
        await pipeline.WaitUntilAsync(longJob, d => d.Status == RequestStatus.Processing);

        // The poller now waits in a 20 s long poll beside the running job.
        await stopping.SignalTerminateAsync(ct);
        await stopping.WaitForOutputAsync(line => line.Contains("requests; draining", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var submittedAfterStop = await pipeline.SubmitAsync("multiply", new { num1 = 5, num2 = 6 });

        var released = await pipeline.WaitUntilAsync(longJob, d => d.Status == RequestStatus.Pending, TimeSpan.FromSeconds(drainTimeoutSeconds + 10));
        Assert.Equal(0, released.Attempts);
        Assert.Equal(0, await stopping.WaitForExitAsync(ct));
        var untouched = await pipeline.GetAsync(submittedAfterStop);
        Assert.Equal(RequestStatus.Pending, untouched.Status);
        Assert.Equal(0, untouched.Attempts);

        pipeline.StartProcessor();

        // The message the last long poll brought went straight back: taken long before its 60 s visibility timeout.
        var late = await pipeline.WaitForTerminalAsync(submittedAfterStop, TimeSpan.FromSeconds(40));
        Assert.Equal(RequestStatus.Succeeded, late.Status);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded], late.History.Select(h => h.Status));
        var done = await pipeline.WaitForTerminalAsync(longJob, TimeSpan.FromSeconds(60));
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal(1, done.Attempts);
        Assert.Equal(
            [RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded],
            done.History.Select(h => h.Status));
    }
}
