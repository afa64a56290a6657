using System.Net;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

/// <summary>
/// A dependency that accepts connections but never replies (its process stopped with SIGSTOP): both
/// services' <c>/health</c> still answer, unhealthy, within their checks' bound; the processes stay up,
/// and they are healthy again once it continues (SIGCONT).
/// </summary>
public sealed class HungDependencyTests(TestServers servers)
{
    [Fact]
    public async Task While_the_SQS_emulator_hangs_both_services_report_unhealthy_and_recover_when_it_continues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sqs = await SqsServer.StartAsync(ct: ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, sqs: sqs);
        await WhileHungAsync(pipeline, () => [sqs.ProcessId!.Value]);
    }

    [Fact]
    public async Task While_PostgreSQL_hangs_both_services_report_unhealthy_and_recover_when_it_continues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, postgres: postgres);
        var postmaster = postgres.ReadServerProcessId();

        // The postmaster first (it forks no more backends then), and every backend: stopping only the
        // postmaster hangs new sessions, while pooled ones still answer.
        await WhileHungAsync(pipeline, () => PostmasterThenBackends(postmaster));
    }

    private static IEnumerable<int> PostmasterThenBackends(int postmaster)
    {
        yield return postmaster;
        foreach (var backend in ChildrenOf(postmaster))
        {
            yield return backend;
        }
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>, from <c>/proc</c>.</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                // The parent is the second field after the command, which is in parentheses and may hold spaces.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) == parent)
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
        }

        return children;
    }

    /// <summary>Stops the dependency's processes (listed, in order, once both services are healthy) and continues them at the end.</summary>
    private static async Task WhileHungAsync(Infrastructure.Pipeline pipeline, Func<IEnumerable<int>> dependencyProcesses)
    {
        var ct = TestContext.Current.CancellationToken;
        var processor = pipeline.StartProcessorProcess();
        using var processorHttp = await ProcessHttp.ClientForAsync(processor);
        using var apiHttp = new HttpClient { BaseAddress = pipeline.Client.BaseAddress, Timeout = processorHttp.Timeout };
        await ProcessHttp.WaitForHealthAsync(apiHttp, HttpStatusCode.OK, "Api");
        await ProcessHttp.WaitForHealthAsync(processorHttp, HttpStatusCode.OK, "Processor");

        var stopped = new List<int>();
        try
        {
            foreach (var id in dependencyProcesses())
            {
                await ChildProcess.SignalAsync(id, "STOP", ct);
                stopped.Add(id);
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, await ProcessHttp.HealthAsync(processorHttp));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await ProcessHttp.HealthAsync(apiHttp));

            // Still up and answering: the liveness probe, and the Processor has not exited.
            using var alive = await apiHttp.GetAsync("/alive", ct);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            Assert.False(processor.HasExited);
        }
        finally
        {
            // In reverse: a backend that had exited is a zombie until its stopped postmaster reaps it, so the
            // postmaster continues last, when every listed process still exists.
            foreach (var id in Enumerable.Reverse(stopped))
            {
                await ChildProcess.SignalAsync(id, "CONT", CancellationToken.None);
            }
        }

        await ProcessHttp.WaitForHealthAsync(apiHttp, HttpStatusCode.OK, "Api");
        await ProcessHttp.WaitForHealthAsync(processorHttp, HttpStatusCode.OK, "Processor");
        Assert.False(processor.HasExited);
    }
}
