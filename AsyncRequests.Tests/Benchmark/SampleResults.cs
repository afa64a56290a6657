using AsyncRequests.Benchmarks;
using AsyncRequests.Benchmarks.Load;
using AsyncRequests.Benchmarks.Reporting;
using AsyncRequests.Benchmarks.Systems;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>Small hand-made benchmark results, for the reports made from them; the figures are arbitrary.</summary>
internal static class SampleResults
{
    public static readonly BenchmarkSettings Settings = BenchmarkSettings.Quick with { WithClientKey = true };

    public static BenchmarkResult With(IReadOnlyList<AuthenticationPass>? authentication) => new(
        Settings,
        new MachineInfo(2, "Linux", "17.0", "abc1234", new DateTimeOffset(2026, 12, 5, 18, 0, 0, TimeSpan.Zero), "wrk"),
        [Run("Hangfire.PostgreSql", requestsPerSecond: 300, authentication: null), Run("AsyncRequests", requestsPerSecond: 1_500, authentication)],
        [new FloorResult(1, 8, 18_000)]);

    /// <summary>The eight passes in the comparison's order, A at 1,000 req/s and B at 900, none refused.</summary>
    public static List<AuthenticationPass> Passes() =>
    [
        .. new[] { false, true, true, false, false, true, true, false }.Select((withKey, i) => new AuthenticationPass(
            Settings.AcceptConnections[0], i + 1, withKey, Load(withKey ? 900 : 1_000), Stored: withKey ? 4_500 : 5_000, ApiCpuSeconds: 2,
            RequestsAtStart: 0, MessagesAtStart: 0)),
    ];

    /// <summary>A pass's load as if <paramref name="non2xx"/> of its submits had been refused.</summary>
    public static LoadResult Load(double requestsPerSecond, long non2xx = 0, long socketErrors = 0) =>
        new((long)(requestsPerSecond * 5), 5, P50Ms: 4, P99Ms: 20, non2xx, socketErrors, GeneratorCpuSeconds: 0.1);

    private static SystemRun Run(string system, double requestsPerSecond, IReadOnlyList<AuthenticationPass>? authentication)
    {
        var ours = system == "AsyncRequests";
        var outcomes = new Outcomes(1_000, 1_000, 0, 0, 0);
        var submitted = new SubmitResult(1_000, 0, 0, null);
        string[] processes = ours ? ["Api", "Processor", "SQS emulator", "PostgreSQL"] : ["Hangfire", "PostgreSQL"];
        return new SystemRun(
            system,
            1,
            Load(20_000),
            [new AcceptResult(Settings.AcceptConnections[0], Load(requestsPerSecond), outcomes)],
            new EndToEndResult(1_000, submitted, outcomes, ours ? 2 : 7, ours ? 2 : 12),
            new LightLoadResult(submitted, outcomes, 2.5, 7, 4.5, ours ? 9.5 : 58),
            [.. processes.Select(name => new ProcessUsage(name, IsService: name is "Api" or "Processor" or "Hangfire", 180, 1))],
            new BacklogResult(submitted, outcomes, 2, ours ? 8 : 9, processes.ToDictionary(name => name, _ => 1.0)),
            ours ? new OutageResult(new SubmitResult(1_500, 0, 0, null), new Outcomes(1_500, 1_500, 0, 0, 0), 1_497, 11) : null,
            authentication);
    }
}
