using AsyncRequests.Benchmarks;
using AsyncRequests.Benchmarks.Load;
using AsyncRequests.Benchmarks.Reporting;
using AsyncRequests.LocalServers;

// Draws the chart again from an earlier run's results, without running anything.
if (args is [BenchmarkSettings.ChartCommand, var resultsPath, var chartPath])
{
    await PerformanceChart.WriteAsync(await ResultsJson.ReadAsync(resultsPath), chartPath);
    Console.WriteLine($"Chart: {Path.GetFullPath(chartPath)}");
    return 0;
}

if (BenchmarkSettings.Parse(args, Console.Error) is not { } settings)
{
    return 2;
}

if (settings.UseWrk && Wrk.Find() is null)
{
    Console.Error.WriteLine(Wrk.InstallHint);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let the run unwind, so every process it started is stopped.
    e.Cancel = true;
    stop.Cancel();
};

var progress = Progress.ForConsole();
progress.Phase("starting PostgreSQL and the SQS emulator");
await using var postgres = await PostgresServer.StartAsync(stop.Token);
// In memory and without a log line per request, so that its CPU is the work SQS does for the system under test:
// persisting to SQLite and logging doubled it. The outage scenario pauses it, so nothing needs to survive a restart.
await using var sqs = await SqsServer.StartAsync(persistent: false, logRequests: false, stop.Token);
var result = await new BenchmarkRun(settings, postgres, sqs, progress).RunAsync(stop.Token);

Console.WriteLine(MarkdownReport.Render(result));
await ResultsJson.WriteAsync(result, settings.OutputPath);
Console.WriteLine($"JSON: {Path.GetFullPath(settings.OutputPath)}");
if (settings.ChartPath is not null)
{
    await PerformanceChart.WriteAsync(result, settings.ChartPath);
    Console.WriteLine($"Chart: {Path.GetFullPath(settings.ChartPath)}");
}

if (!result.AuthenticationComparable)
{
    Console.Error.WriteLine(
        $"The authentication comparison is not valid: fewer than {BenchmarkResult.MinValidAuthenticationPasses} passes of a kind got a 2xx for every submit (see the report).");
}

return result.AllCorrect && result.AuthenticationComparable ? 0 : 1;
