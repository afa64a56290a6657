using AsyncRequests.Benchmarks;
using AsyncRequests.Benchmarks.Reporting;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>
/// The benchmark's scaling option: with two instances of each service against one PostgreSQL server, the load reaches
/// both accepting processes, every request still succeeds exactly once, and PostgreSQL's work per request is measured.
/// Only counts are asserted, never a timing.
/// </summary>
public sealed class BenchmarkScaleTests
{
    [Fact]
    public async Task With_two_instances_both_accepting_processes_take_load_and_every_request_succeeds_exactly_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var sqs = await SqsServer.StartAsync(ct: ct);
        var settings = BenchmarkSettings.Parse(["--smoke", "--instances", "2"], TextWriter.Null)!;

        var result = await new BenchmarkRun(settings, postgres, sqs, new Progress(TextWriter.Null, interactive: false)).RunAsync(ct);

        var ours = Assert.Single(result.Runs, r => r.System == "AsyncRequests");
        Assert.Equal(["Api 1", "Api 2", "Processor 1", "Processor 2", "SQS emulator", "PostgreSQL"], ours.Processes.Select(p => p.Name));
        var peer = Assert.Single(result.Runs, r => r.System == "Hangfire.PostgreSql");
        Assert.Equal(["Hangfire 1", "Hangfire 2", "PostgreSQL"], peer.Processes.Select(p => p.Name));
        Assert.All(result.Runs, run =>
        {
            // A 202 comes from the process that stored the request: each of the two must have answered some.
            Assert.Equal(2, run.EndToEnd.Submitted.AcceptedByTarget.Count);
            Assert.All(run.EndToEnd.Submitted.AcceptedByTarget, accepted => Assert.True(accepted > 0, $"{run.System}: an instance accepted nothing."));
            Assert.All(run.Backlog.Submitted.AcceptedByTarget, accepted => Assert.True(accepted > 0, $"{run.System}: an instance accepted nothing of the backlog."));
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Submitted.AcceptedByTarget.Sum());
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Outcomes.Stored);
            Assert.Equal(settings.EndToEndRequests, run.EndToEnd.Outcomes.SucceededOnce);
            Assert.Equal(settings.BacklogRequests, run.Backlog.Outcomes.Stored);
            Assert.Equal(settings.BacklogRequests, run.Backlog.Outcomes.SucceededOnce);
            // Both workers of the drain were started for it, so each has CPU of its own there.
            Assert.All(run.Processes, p => Assert.True(run.Backlog.CpuSeconds[p.Name] > 0, $"{run.System}: no drain CPU for {p.Name}."));

            var postgresWork = run.EndToEnd.Postgres!;
            Assert.True(postgresWork.CpuSeconds > 0, $"{run.System}: no PostgreSQL CPU.");
            Assert.True(postgresWork.WalBytes > 0, $"{run.System}: no WAL written.");
            var counting = run.Statements!.Pass;
            Assert.True(counting.Statements >= settings.EndToEndRequests / 10, $"{run.System}: {counting.Statements} statements counted.");
            Assert.NotEmpty(counting.MostRun);
            // The figures of record carry no tracking cost: nothing was tracked in any pass but the counting one.
            Assert.Null(postgresWork.Statements);
            Assert.Equal(0, run.Statements.TrackedOutside);
        });
        // The benchmark's own polling of the requests table is not the system's work.
        Assert.DoesNotContain(ours.Statements!.Pass.MostRun, s => s.Query.Contains("FROM requests WHERE created_at >= $1", StringComparison.Ordinal));
        Assert.True(result.AllCorrect);
        var report = MarkdownReport.Render(result);
        Assert.Contains("| AsyncRequests | Api 2 |", report, StringComparison.Ordinal);
        Assert.Contains("| statements per request (lower is better) |", report, StringComparison.Ordinal);
        Assert.Contains("statements tracked outside the counting pass, all runs: 0.", report, StringComparison.Ordinal);
    }

    [Fact]
    public void The_authentication_passes_refuse_several_instances_as_they_measure_one_api()
    {
        using var error = new StringWriter();

        Assert.Null(BenchmarkSettings.Parse(["--quick", "--client-key", "--instances", "2"], error));
        Assert.Contains("--client-key", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, BenchmarkSettings.Parse(["--quick", "--instances", "3"], TextWriter.Null)!.Instances);
        Assert.Null(BenchmarkSettings.Parse(["--instances", "0"], TextWriter.Null));
    }
}
