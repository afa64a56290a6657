using System.Xml.Linq;
using AsyncRequests.Benchmarks;
using AsyncRequests.Benchmarks.Reporting;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>
/// Keeps the benchmark from rotting: its smoke mode (tiny counts, the in-process load generator, no wrk)
/// runs both systems as real processes. Only correctness is asserted, never a timing.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    [Fact]
    public async Task The_benchmark_sees_every_request_succeed_exactly_once_on_both_systems()
    {
        var ct = TestContext.Current.CancellationToken;
        // Its own PostgreSQL server: the benchmark's services open connection pools at their production sizes.
        await using var postgres = await PostgresServer.StartAsync(ct);
        // Its own emulator too: the scenarios pause and restart it.
        await using var sqs = await SqsServer.StartAsync(ct: ct);
        var settings = BenchmarkSettings.Smoke with { WithClientKey = true };

        var result = await new BenchmarkRun(settings, postgres, sqs, new Progress(TextWriter.Null, interactive: false)).RunAsync(ct);

        Assert.Equal(["AsyncRequests", "Hangfire.PostgreSql"], result.Runs.Select(r => r.System).Order());
        Assert.All(result.Runs, run =>
        {
            Assert.All(run.Accept, accept =>
            {
                Assert.True(accept.Outcomes.Stored > 0, $"{run.System}: the accept scenario stored nothing.");
                Assert.Equal(accept.Outcomes.Stored, accept.Outcomes.SucceededOnce);
            });
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Submitted.Accepted);
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Outcomes.Stored);
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Outcomes.SucceededOnce);
            Assert.Equal(settings.LightLoadRatePerSecond * settings.LightLoadDuration.TotalSeconds, run.LightLoad.Submitted.Accepted);
            Assert.Equal(run.LightLoad.Submitted.Accepted, run.LightLoad.Outcomes.SucceededOnce);
            Assert.Equal(0, run.EndToEnd.Outcomes.Duplicated + run.LightLoad.Outcomes.Duplicated);
            Assert.Equal(run.LightLoad.Outcomes.SucceededOnce, run.LightLoad.Outcomes.Stored);
            Assert.Equal(settings.BacklogRequests, run.Backlog.Submitted.Accepted);
            Assert.Equal(settings.BacklogRequests, run.Backlog.Outcomes.Stored);
            Assert.Equal(settings.BacklogRequests, run.Backlog.Outcomes.SucceededOnce);
            // The drain's CPU covers every process of the system, the ones started for it and PostgreSQL included.
            Assert.All(run.Processes, p => Assert.True(run.Backlog.CpuSeconds[p.Name] > 0, $"{run.System}: no drain CPU for {p.Name}."));
        });
        // A key the Api refused would answer 401: every submit with the client key must have been accepted, and stored.
        var passes = Assert.Single(result.Runs, r => r.System == "AsyncRequests").Authentication!;
        Assert.Equal([false, true, true, false, false, true, true, false], passes.OrderBy(p => p.Order).Select(p => p.WithClientKey));
        Assert.All(passes, pass =>
        {
            Assert.Equal(0, pass.Load.Non2xx);
            Assert.True(pass.Valid, $"Authentication pass {pass.Order} had {pass.Load.SocketErrors} socket errors.");
            Assert.True(pass.Stored > 0, $"Authentication pass {pass.Order} stored nothing.");
            Assert.Equal(0, pass.Lost);
            // Equal terms: what the run and the earlier passes stored is gone from the table and the queue.
            Assert.Equal(0, pass.RequestsAtStart);
            Assert.Equal(0, pass.MessagesAtStart);
        });
        Assert.True(result.AuthenticationComparable);
        Assert.Null(Assert.Single(result.Runs, r => r.System == "Hangfire.PostgreSql").Authentication);
        var outage = Assert.Single(result.Runs, r => r.Outage is not null).Outage!;
        Assert.Equal(settings.OutageRatePerSecond * settings.OutageDuration.TotalSeconds, outage.Submitted.Accepted);
        Assert.Equal(outage.Submitted.Accepted, outage.Outcomes.Stored);
        Assert.Equal(outage.Submitted.Accepted, outage.Outcomes.SucceededOnce);
        Assert.True(outage.UnfinishedAtReturn > 0, "Nothing was waiting for SQS when it came back: the outage was not one.");
        Assert.True(result.AllCorrect);

        // The chart of a real run: well-formed, both systems' bars in every panel.
        var chart = XDocument.Parse(PerformanceChart.Render(result));
        XNamespace svg = "http://www.w3.org/2000/svg";
        var panels = chart.Root!.Elements(svg + "g").Where(g => (string?)g.Attribute("class") == "figure").ToList();
        Assert.NotEmpty(panels);
        Assert.All(panels, panel => Assert.Equal(
            ["Hangfire.PostgreSql", "AsyncRequests"],
            panel.Elements(svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").Select(r => (string?)r.Attribute("data-system"))));
    }
}
