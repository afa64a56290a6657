using System.Globalization;
using System.Text;
using AsyncRequests.Benchmarks.Measurement;

namespace AsyncRequests.Benchmarks.Reporting;

/// <summary>The results as Markdown tables: medians over the repetitions with their range, and ours/peer ratios.</summary>
public static partial class MarkdownReport
{
    private const string Ours = "AsyncRequests";
    private const string Peer = "Hangfire.PostgreSql";

    public static string Render(BenchmarkResult result)
    {
        var settings = result.Settings;
        var machine = result.Machine;
        var text = new StringBuilder();
        text.AppendLine($"## AsyncRequests vs Hangfire.PostgreSql ({settings.Mode} mode)");
        text.AppendLine();
        text.AppendLine(
            $"{machine.Cores} cores, {machine.OperatingSystem}, PostgreSQL {machine.PostgresVersion}; commit {machine.Commit ?? "unknown"}; "
            + $"{machine.StartedAt:yyyy-MM-dd HH:mm} UTC; {settings.Repetitions} repetition(s), each system alternately; "
            + $"medians{(settings.Repetitions > 1 ? " [min–max]" : "")}; accept load from {machine.LoadGenerator}; "
            + $"{WarmUp(settings)}; "
            + $"{(settings.ProcessorAot ? "the Processor native (Native AOT)" : "the Processor with the JIT")}.");
        text.AppendLine();
        Instances(text, result);
        text.AppendLine($"| figure | {Peer} | {Ours} | ours/peer |");
        text.AppendLine("|---|---|---|---|");

        foreach (var connections in settings.AcceptConnections)
        {
            var accept = (SystemRun run) => run.Accept.Single(a => a.Connections == connections);
            Row(text, result, $"accept, {connections} connections: req/s (higher is better)", r => accept(r).Load.RequestsPerSecond);
            Row(text, result, $"accept, {connections} connections: p50 ms", r => accept(r).Load.P50Ms);
            Row(text, result, $"accept, {connections} connections: p99 ms", r => accept(r).Load.P99Ms);
            Totals(text, result, $"accept, {connections} connections: non-2xx / socket errors (all runs)", r => accept(r).Load.Non2xx, r => accept(r).Load.SocketErrors);
        }

        Row(text, result, $"end to end, {settings.EndToEndRequests:N0} requests at concurrency {settings.EndToEndConcurrency}: completions/s (higher is better)", r => r.EndToEnd.CompletionsPerSecond);
        Row(text, result, "CPU-seconds per 1,000 requests, all processes incl. PostgreSQL (and the SQS emulator)", r => r.EndToEnd.CpuSecondsPer1000);
        var rate = settings.LightLoadRatePerSecond.ToString(CultureInfo.InvariantCulture);
        Row(text, result, $"light load ({rate} req/s): accept → handler start, p50 ms", r => r.LightLoad.StartP50Ms);
        Row(text, result, $"light load ({rate} req/s): accept → handler start, p99 ms", r => r.LightLoad.StartP99Ms);
        Row(text, result, $"light load ({rate} req/s): accept → done, p50 ms", r => r.LightLoad.DoneP50Ms);
        Row(text, result, $"light load ({rate} req/s): accept → done, p99 ms", r => r.LightLoad.DoneP99Ms);
        var backlog = $"backlog of {settings.BacklogRequests:N0} accepted with the workers stopped";
        Row(text, result, $"{backlog}: completions/s from starting the workers to the last completion (higher is better)", r => r.Backlog.CompletionsPerSecond);
        Row(text, result, $"{backlog}: seconds from starting the workers to the last completion", r => r.Backlog.LastCompletionSeconds);
        Row(text, result, $"{backlog}: of which to the first completion (start-up), s", r => r.Backlog.FirstCompletionSeconds);
        Row(text, result, $"{backlog}: CPU-seconds per 1,000 requests, all processes incl. PostgreSQL (and the SQS emulator)", r => r.Backlog.CpuSecondsPer1000());
        var outage = $"SQS outage of {settings.OutageDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s at {settings.OutageRatePerSecond.ToString(CultureInfo.InvariantCulture)} req/s";
        OursOnlyRow(text, result, $"{outage}: requests not done when SQS returned", r => r.Outage!.UnfinishedAtReturn);
        OursOnlyRow(text, result, $"{outage}: seconds from SQS's return until the last is processed", r => r.Outage!.RecoverySeconds);
        Row(text, result, "peak memory, service processes (Api + Processor; Hangfire), MiB", r => r.Processes.Where(p => p.IsService).Sum(p => p.PeakMemoryMiB));
        Totals(text, result, "end to end: submissions retried after a 503 (all runs)", r => r.EndToEnd.Submitted.RetriedAfter503, null);
        Totals(
            text,
            result,
            "submissions without a 202 (error or no answer in 30 s; end to end, light load, backlog, outage; all runs)",
            r => r.EndToEnd.Submitted.Failed + r.LightLoad.Submitted.Failed + r.Backlog.Submitted.Failed + (r.Outage?.Submitted.Failed ?? 0),
            null);
        Totals(text, result, "lost / duplicated, every scenario (all runs)", r => r.Lost, r => r.Duplicated);

        text.AppendLine();
        text.AppendLine("| system | process | peak memory, MiB | CPU-seconds, end to end | CPU-seconds per 1,000 requests | backlog drain: CPU-seconds per 1,000 requests |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var system in new[] { Peer, Ours })
        {
            var runs = result.Runs.Where(r => r.System == system).ToList();
            foreach (var process in runs[0].Processes.Select(p => p.Name))
            {
                var usage = runs.Select(r => r.Processes.Single(p => p.Name == process)).ToList();
                text.AppendLine(
                    $"| {system} | {process} | {Summary(usage.Select(u => u.PeakMemoryMiB))} | {Summary(usage.Select(u => u.EndToEndCpuSeconds))} "
                    + $"| {Summary(runs.Select(r => r.Processes.Single(p => p.Name == process).EndToEndCpuSeconds / r.EndToEnd.Requests * 1000))} "
                    + $"| {Summary(runs.Select(r => r.Backlog.CpuSecondsPer1000(process)))} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Peak memory: VmHWM of each service process; for PostgreSQL the highest sum of its processes' PSS, sampled every second (shared buffers counted once).");

        PostgresWork(text, result);

        text.AppendLine();
        text.AppendLine("| load generator check | " + Peer + " | " + Ours + " |");
        text.AppendLine("|---|---|---|");
        if (result.Runs.All(r => r.GeneratorCeiling is not null))
        {
            text.AppendLine(
                $"| ceiling: GET /alive at 32 connections, req/s | {Summary(Values(result, Peer, r => r.GeneratorCeiling!.RequestsPerSecond))} "
                + $"| {Summary(Values(result, Ours, r => r.GeneratorCeiling!.RequestsPerSecond))} |");
        }

        foreach (var connections in settings.AcceptConnections)
        {
            text.AppendLine(
                $"| generator CPU during accept at {connections} connections, % of the machine "
                + $"| {Summary(Values(result, Peer, r => r.Accept.Single(a => a.Connections == connections).Load.GeneratorMachineShare * 100))} "
                + $"| {Summary(Values(result, Ours, r => r.Accept.Single(a => a.Connections == connections).Load.GeneratorMachineShare * 100))} |");
        }

        AuthenticationCost(text, result);

        if (result.Floor.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| floor: pgbench one-row INSERT (uuid + small jsonb, prepared), same server | transactions/s |");
            text.AppendLine("|---|---|");
            foreach (var clients in result.Floor.Select(f => f.Clients).Distinct())
            {
                text.AppendLine($"| {clients} clients | {Summary(result.Floor.Where(f => f.Clients == clients).Select(f => f.TransactionsPerSecond))} |");
            }
        }

        text.AppendLine();
        text.AppendLine(result.AllCorrect
            ? "Correctness: every accepted request succeeded exactly once on both systems."
            : "Correctness: FAILED. Some accepted request did not succeed exactly once (see the JSON).");
        return text.ToString();
    }

    private static string WarmUp(BenchmarkSettings settings) => settings.WarmUpDuration > TimeSpan.Zero
        ? $"each instance warmed up by {settings.WarmUpDuration.TotalSeconds:0} s of submissions at {settings.WarmUpConnections} connections, not measured"
        : "no warm-up";

    private static void Row(StringBuilder text, BenchmarkResult result, string figure, Func<SystemRun, double> value)
    {
        var peer = Values(result, Peer, value);
        var ours = Values(result, Ours, value);
        var ratio = Statistics.Median(ours) / Statistics.Median(peer);
        text.AppendLine($"| {figure} | {Summary(peer)} | {Summary(ours)} | {(double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–")} |");
    }

    // Hangfire has no clients: the cost of authentication is ours alone, measured in passes of its own. A pass with any
    // refusal or socket error measured refusing, not accepting: it is shown, but left out of the medians and the ratio.
    private static void AuthenticationCost(StringBuilder text, BenchmarkResult result)
    {
        var passes = result.Runs.SelectMany(r => r.Authentication ?? []).ToList();
        foreach (var connections in passes.Select(p => p.Connections).Distinct())
        {
            var atConnections = passes.Where(p => p.Connections == connections).ToList();
            var anonymous = atConnections.Where(p => p.Valid && !p.WithClientKey).ToList();
            var keyed = atConnections.Where(p => p.Valid && p.WithClientKey).ToList();
            var comparable = anonymous.Count >= BenchmarkResult.MinValidAuthenticationPasses && keyed.Count >= BenchmarkResult.MinValidAuthenticationPasses;
            text.AppendLine();
            text.AppendLine(
                $"| {Ours}: accept at {connections} connections, workers stopped, passes alternating, each on an empty table and queue "
                + $"(medians [min–max] of the {anonymous.Count} + {keyed.Count} valid passes) | without a key | with a client key | with / without |");
            text.AppendLine("|---|---|---|---|");
            foreach (var (figure, value) in new (string, Func<AuthenticationPass, double>)[]
            {
                ("req/s (higher is better)", p => p.Load.RequestsPerSecond),
                ("p50 ms", p => p.Load.P50Ms),
                ("p99 ms", p => p.Load.P99Ms),
                ("Api CPU ms per stored request (lower is better)", p => p.ApiCpuMsPerRequest),
            })
            {
                var ratio = comparable ? Statistics.Median([.. keyed.Select(value)]) / Statistics.Median([.. anonymous.Select(value)]) : double.NaN;
                text.AppendLine(
                    $"| {figure} | {Summary(anonymous.Select(value))} | {Summary(keyed.Select(value))} "
                    + $"| {(double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–")} |");
            }

            var allAnonymous = atConnections.Where(p => !p.WithClientKey).ToList();
            var allKeyed = atConnections.Where(p => p.WithClientKey).ToList();
            text.AppendLine(
                $"| non-2xx / socket errors (all passes) | {allAnonymous.Sum(p => p.Load.Non2xx)} / {allAnonymous.Sum(p => p.Load.SocketErrors)} "
                + $"| {allKeyed.Sum(p => p.Load.Non2xx)} / {allKeyed.Sum(p => p.Load.SocketErrors)} | |");
            text.AppendLine();
            text.AppendLine(
                "Passes in order, req/s (A without a key, B with one; * invalid): "
                + string.Join(", ", atConnections.Select(p => $"{Kind(p)} {Format(p.Load.RequestsPerSecond)}"))
                + "; Api CPU ms per request: "
                + string.Join(", ", atConnections.Select(p => $"{Kind(p)} {Format(p.ApiCpuMsPerRequest)}"))
                + ".");
            var invalid = result.Runs
                .SelectMany(r => (r.Authentication ?? []).Where(p => p.Connections == connections && !p.Valid).Select(p => (r.Repetition, Pass: p)))
                .ToList();
            if (invalid.Count > 0)
            {
                text.AppendLine();
                text.AppendLine(
                    $"Invalid, left out of the medians and the ratio ({invalid.Count} of {atConnections.Count} passes): "
                    + string.Join(", ", invalid.Select(i => $"repetition {i.Repetition} pass {i.Pass.Order} {Kind(i.Pass)} ({i.Pass.Load.Non2xx:N0} non-2xx, {i.Pass.Load.SocketErrors:N0} socket errors)"))
                    + ". A pass that was refused or lost a connection measured refusing, not accepting.");
            }

            if (!comparable)
            {
                text.AppendLine();
                text.AppendLine(
                    $"**The authentication comparison at {connections} connections is NOT valid: it needs at least "
                    + $"{BenchmarkResult.MinValidAuthenticationPasses} valid passes of each kind ({anonymous.Count} without a key, {keyed.Count} with one).**");
            }
        }

        static string Kind(AuthenticationPass pass) => (pass.WithClientKey ? "B" : "A") + (pass.Valid ? "" : "*");
    }

    // Hangfire has no queue outside its PostgreSQL tables, so an SQS outage has no counterpart there.
    private static void OursOnlyRow(StringBuilder text, BenchmarkResult result, string figure, Func<SystemRun, double> value) =>
        text.AppendLine($"| {figure} | n/a | {Summary(Values(result, Ours, value))} | |");

    private static void Totals(StringBuilder text, BenchmarkResult result, string figure, Func<SystemRun, long> first, Func<SystemRun, long>? second)
    {
        string Cell(string system)
        {
            var runs = result.Runs.Where(r => r.System == system).ToList();
            return second is null
                ? runs.Sum(first).ToString(CultureInfo.InvariantCulture)
                : ($"{runs.Sum(first)} / {runs.Sum(second)}");
        }

        text.AppendLine($"| {figure} | {Cell(Peer)} | {Cell(Ours)} | |");
    }

    private static double[] Values(BenchmarkResult result, string system, Func<SystemRun, double> value) =>
        [.. result.Runs.Where(r => r.System == system).Select(value)];

    private static string Summary(IEnumerable<double> values)
    {
        var all = values.ToArray();
        var median = Format(Statistics.Median(all));
        return all.Length > 1 ? $"{median} [{Format(all.Min())}–{Format(all.Max())}]" : median;
    }

    internal static string Format(double value) => value switch
    {
        double.NaN => "–",
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
