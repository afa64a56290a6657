using System.Globalization;
using System.Text;

namespace AsyncRequests.Benchmarks.Reporting;

/// <summary>What an estimate of scale rests on: how the instances shared the load, and PostgreSQL's work per request.</summary>
public static partial class MarkdownReport
{
    private static void Instances(StringBuilder text, BenchmarkResult result)
    {
        var instances = result.Settings.Instances;
        if (instances == 1)
        {
            return;
        }

        text.AppendLine(
            $"{instances} instances of each service: {instances} Apis and {instances} Processors of {Ours}, {instances} apps of {Peer} "
            + "(each with its own workers), on the one PostgreSQL server and SQS emulator. The load is spread evenly over the accepting "
            + $"processes: the in-process loop sends each request to the next in turn; wrk runs as {instances} processes side by side, one "
            + $"per accepting process, with the connections split evenly, so accept req/s is their sum and accept p50 and p99 are the worst "
            + $"of the {instances}. Process rows are per instance.");
        text.AppendLine();
        text.AppendLine($"| spread of the load | {Peer} | {Ours} |");
        text.AppendLine("|---|---|---|");
        text.AppendLine($"| end to end: 202s by accepting process, each run | {AcceptedByTarget(result, Peer)} | {AcceptedByTarget(result, Ours)} |");
        text.AppendLine();
    }

    private static string AcceptedByTarget(BenchmarkResult result, string system) => string.Join(
        "; ",
        result.Runs.Where(r => r.System == system).Select(r => string.Join(" / ", r.EndToEnd.Submitted.AcceptedByTarget)));

    private static void PostgresWork(StringBuilder text, BenchmarkResult result)
    {
        // Results written before PostgreSQL's work was measured have none to show.
        if (result.Runs.Any(r => r.EndToEnd.Postgres is null))
        {
            return;
        }

        text.AppendLine();
        text.AppendLine($"| PostgreSQL per request, end to end | {Peer} | {Ours} | ours/peer |");
        text.AppendLine("|---|---|---|---|");
        Row(text, result, "CPU-ms per request (the server's processes; lower is better)", r => r.EndToEnd.Postgres!.CpuMsPer(r.EndToEnd.Requests));
        var counted = result.Runs.All(r => r.Statements is not null);
        if (counted)
        {
            Row(text, result, "statements per request (lower is better)", r => r.Statements!.Pass.StatementsPer(r.EndToEnd.Requests));
            Row(text, result, "CPU-ms per request with statement tracking on (the counting pass below)", r => r.Statements!.Pass.CpuMsPer(r.EndToEnd.Requests));
        }

        Row(text, result, "WAL bytes per request (lower is better)", r => r.EndToEnd.Postgres!.WalBytesPer(r.EndToEnd.Requests));
        text.AppendLine();
        text.AppendLine(
            (counted
                ? "Statements: counted in a counting pass of their own, after the light-load scenario: the end-to-end scenario once more on the same "
                    + "instance, the same requests at the same concurrency, with `pg_stat_statements` tracking every execution of every "
                    + "top-level statement in the system's database, transaction control included, the benchmark's own reads not counted. "
                    + "Every other pass, the end-to-end one whose CPU is above included, ran with tracking off (`pg_stat_statements.track = none`; "
                    + $"query ids still computed): statements tracked outside the counting pass, all runs: {result.Runs.Sum(r => r.Statements!.TrackedOutside):N0}. "
                    + "The counting pass's CPU shows what tracking costs."
                : "Statements: not counted in this run (the server has no `pg_stat_statements`).")
            + " WAL: the server's WAL position before and after, so autovacuum counts too (`full_page_writes` is off on this server).");
        if (!counted)
        {
            return;
        }

        foreach (var system in new[] { Peer, Ours })
        {
            var runs = result.Runs.Where(r => r.System == system).ToList();
            var requests = runs.Sum(r => r.EndToEnd.Requests);
            text.AppendLine();
            text.AppendLine($"| {system}: statements run most often, counting pass (all runs) | per request |");
            text.AppendLine("|---|---|");
            foreach (var statement in runs
                .SelectMany(r => r.Statements!.Pass.MostRun)
                .GroupBy(s => s.Query)
                .Select(g => (Query: g.Key, Calls: g.Sum(s => s.Calls)))
                .OrderByDescending(s => s.Calls)
                .Take(10))
            {
                var perRequest = ((double)statement.Calls / requests).ToString("0.00", CultureInfo.InvariantCulture);
                text.AppendLine($"| `{statement.Query.Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal)}` | {perRequest} |");
            }
        }
    }
}
