using System.Globalization;

namespace AsyncRequests.Benchmarks;

/// <summary>How much of each scenario to run; the modes below are the presets the README refers to.</summary>
public sealed record BenchmarkSettings
{
    public required string Mode { get; init; }

    public required int Repetitions { get; init; }

    /// <summary>
    /// Load (not measured, at <see cref="WarmUpConnections"/>) sent to each fresh instance before its first scenario.
    /// A long-running service is the case that matters: a fresh Api spends its first half minute under load compiling
    /// its hot paths (tiered JIT with profile-guided optimisation) and costs several times its warm CPU per request
    /// meanwhile, so a warm-up shorter than that measures start-up instead.
    /// </summary>
    public required TimeSpan WarmUpDuration { get; init; }

    public int WarmUpConnections { get; init; } = 32;

    /// <summary>The warm-up of each authentication pass, of its own kind, on an instance already warm.</summary>
    public required TimeSpan PassWarmUpDuration { get; init; }

    public required IReadOnlyList<int> AcceptConnections { get; init; }

    public required TimeSpan AcceptDuration { get; init; }

    public required int EndToEndRequests { get; init; }

    public int EndToEndConcurrency { get; init; } = 32;

    public double LightLoadRatePerSecond { get; init; } = 20;

    public required TimeSpan LightLoadDuration { get; init; }

    /// <summary>Requests accepted with the workers stopped, then drained once they start.</summary>
    public required int BacklogRequests { get; init; }

    /// <summary>How long the SQS emulator is stopped while requests keep coming (AsyncRequests only).</summary>
    public required TimeSpan OutageDuration { get; init; }

    /// <summary>Submissions per second, open loop, during the outage.</summary>
    public required double OutageRatePerSecond { get; init; }

    /// <summary>How long pgbench runs at each client count; zero skips the floor.</summary>
    public required TimeSpan FloorDuration { get; init; }

    /// <summary>How long each load generator runs against <c>/alive</c> to show its own ceiling; zero skips it.</summary>
    public required TimeSpan CalibrationDuration { get; init; }

    /// <summary>
    /// AsyncRequests ends each repetition with accept passes without and with a client key (made through the admin
    /// API at start), alternating, each after a warm-up of its own kind: what authentication costs the accept path.
    /// </summary>
    public bool WithClientKey { get; init; }

    /// <summary>
    /// Processes of each service: N Apis and N Processors of AsyncRequests, N Hangfire apps (each with its workers),
    /// against the one PostgreSQL server and SQS emulator; the load is spread evenly over the accepting processes.
    /// </summary>
    public int Instances { get; init; } = 1;

    /// <summary>The Processor runs as its Native AOT build (published beforehand) instead of with the JIT.</summary>
    public bool ProcessorAot { get; init; }

    /// <summary>wrk for the accept scenario; otherwise the in-process HTTP loop (no wrk needed).</summary>
    public bool UseWrk { get; init; } = true;

    /// <summary>How long a system may take to finish its backlog before the run counts the rest as lost.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public string OutputPath { get; init; } = "benchmark-results.json";

    /// <summary>Where to write the SVG chart of the results at the end of the run; none when null.</summary>
    public string? ChartPath { get; init; }

    /// <summary>The first argument that draws the chart from an existing results file instead of running.</summary>
    public const string ChartCommand = "chart";

    public static BenchmarkSettings Full { get; } = new()
    {
        Mode = "full",
        Repetitions = 3,
        WarmUpDuration = TimeSpan.FromSeconds(30),
        PassWarmUpDuration = TimeSpan.FromSeconds(5),
        AcceptConnections = [8, 32, 128],
        AcceptDuration = TimeSpan.FromSeconds(10),
        EndToEndRequests = 20_000,
        LightLoadDuration = TimeSpan.FromSeconds(15),
        BacklogRequests = 20_000,
        OutageDuration = TimeSpan.FromSeconds(30),
        OutageRatePerSecond = 200,
        FloorDuration = TimeSpan.FromSeconds(10),
        CalibrationDuration = TimeSpan.FromSeconds(5),
    };

    public static BenchmarkSettings Quick { get; } = new()
    {
        Mode = "quick",
        Repetitions = 1,
        WarmUpDuration = TimeSpan.FromSeconds(10),
        PassWarmUpDuration = TimeSpan.FromSeconds(2),
        AcceptConnections = [32],
        AcceptDuration = TimeSpan.FromSeconds(5),
        EndToEndRequests = 1_000,
        LightLoadDuration = TimeSpan.FromSeconds(5),
        BacklogRequests = 1_000,
        OutageDuration = TimeSpan.FromSeconds(30),
        OutageRatePerSecond = 50,
        FloorDuration = TimeSpan.FromSeconds(3),
        CalibrationDuration = TimeSpan.FromSeconds(2),
    };

    /// <summary>Tiny counts that only prove the benchmark still works end to end; its figures mean nothing.</summary>
    public static BenchmarkSettings Smoke { get; } = new()
    {
        Mode = "smoke",
        Repetitions = 1,
        WarmUpDuration = TimeSpan.Zero,
        PassWarmUpDuration = TimeSpan.Zero,
        AcceptConnections = [4],
        AcceptDuration = TimeSpan.FromSeconds(1),
        EndToEndRequests = 60,
        EndToEndConcurrency = 8,
        LightLoadDuration = TimeSpan.FromSeconds(1),
        BacklogRequests = 20,
        OutageDuration = TimeSpan.FromSeconds(2),
        OutageRatePerSecond = 10,
        FloorDuration = TimeSpan.Zero,
        CalibrationDuration = TimeSpan.Zero,
        UseWrk = false,
        DrainTimeout = TimeSpan.FromMinutes(2),
    };

    public const string Usage =
        """
        Usage: dotnet run -c Release --project AsyncRequests.Benchmarks -- [--quick | --full | --smoke] [options]

          --quick             a few minutes: one repetition, a 10 s warm-up, accept at 32 connections, 1,000 requests
                              end to end, a backlog of 1,000, a 30 s SQS outage at 50 req/s
          --full              the README figures (default): 3 repetitions, a 30 s warm-up, accept at 8/32/128 connections,
                              20,000 end to end, a backlog of 20,000, a 30 s SQS outage at 200 req/s
          --smoke             tiny counts, checks correctness only
          --repetitions N     override the number of repetitions
          --builtin-load      use the in-process HTTP loop instead of wrk for the accept scenario
          --client-key        end each AsyncRequests run with accept passes without and with a client key, alternating
          --instances N       run N Api and N Processor processes (N Hangfire apps), the load spread over them (default 1)
          --output PATH       where to write the JSON results (default benchmark-results.json)
          --processor-aot     run the Processor as its Native AOT build; publish it first:
                              dotnet publish AsyncRequests.Processor -c Release -r linux-x64
          --chart PATH        also write an SVG chart of the headline figures, AsyncRequests against Hangfire

        Usage: dotnet run -c Release --project AsyncRequests.Benchmarks -- chart RESULTS.json CHART.svg

          draws the chart from the JSON results of an earlier run, without running anything
        """;

    /// <summary>Reads the command line; null (after printing why) when it is not understood.</summary>
    public static BenchmarkSettings? Parse(string[] args, TextWriter error)
    {
        var settings = args.Contains("--smoke") ? Smoke : args.Contains("--quick") ? Quick : Full;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick" or "--full" or "--smoke":
                    break;
                case "--builtin-load":
                    settings = settings with { UseWrk = false };
                    break;
                case "--client-key":
                    settings = settings with { WithClientKey = true };
                    break;
                case "--processor-aot":
                    settings = settings with { ProcessorAot = true };
                    break;
                case "--repetitions" when i + 1 < args.Length
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var repetitions)
                    && repetitions > 0:
                    settings = settings with { Repetitions = repetitions };
                    i++;
                    break;
                case "--instances" when i + 1 < args.Length
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var instances)
                    && instances > 0:
                    settings = settings with { Instances = instances };
                    i++;
                    break;
                case "--output" when i + 1 < args.Length:
                    settings = settings with { OutputPath = args[++i] };
                    break;
                case "--chart" when i + 1 < args.Length:
                    settings = settings with { ChartPath = args[++i] };
                    break;
                default:
                    error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
                    error.WriteLine(Usage);
                    return null;
            }
        }

        // The authentication passes measure one Api's CPU and send to one address.
        if (settings is { WithClientKey: true, Instances: > 1 })
        {
            error.WriteLine("--client-key measures a single Api: run it with --instances 1.");
            return null;
        }

        return settings;
    }
}
