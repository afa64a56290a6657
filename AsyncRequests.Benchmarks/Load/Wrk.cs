using System.Globalization;
using System.Text.Json;
using AsyncRequests.Benchmarks.Measurement;
using AsyncRequests.LocalServers;

namespace AsyncRequests.Benchmarks.Load;

/// <summary>
/// The accept scenario's load generator: wrk (C, event-driven), so that the generator costs a small
/// share of the CPU it measures. A Lua script sets the POST body and prints the summary as JSON.
/// </summary>
public static class Wrk
{
    public const string InstallHint = "wrk was not found on PATH. Install it (Debian/Ubuntu: apt-get install wrk) or run with --builtin-load.";

    private const string ScriptTemplate =
        """
        wrk.method = "{method}"
        wrk.headers["Content-Type"] = "application/json"
        {authorization}
        {body}
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format(
            '{"requests":%.0f,"durationMicroseconds":%.0f,"status":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"timeout":%.0f,"p50":%.0f,"p99":%.0f}\n',
            summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
            latency:percentile(50), latency:percentile(99)))
        end
        """;

    public static string? Find() => ChildProcess.FindOnPath("wrk");

    /// <summary>Runs wrk for <paramref name="duration"/>; a null <paramref name="jsonBody"/> sends GETs, a null <paramref name="bearerToken"/> no Authorization.</summary>
    public static async Task<LoadResult> RunAsync(
        Uri url, int connections, TimeSpan duration, string? jsonBody, string? bearerToken, CancellationToken ct)
    {
        var wrk = Find() ?? throw new InvalidOperationException(InstallHint);
        var directory = Directory.CreateTempSubdirectory("asyncrequests-wrk-").FullName;
        try
        {
            var script = Path.Combine(directory, "load.lua");
            await File.WriteAllTextAsync(
                script,
                ScriptTemplate
                    .Replace("{method}", jsonBody is null ? "GET" : "POST", StringComparison.Ordinal)
                    .Replace("{authorization}", bearerToken is null ? "" : $"wrk.headers[\"Authorization\"] = \"Bearer {bearerToken}\"", StringComparison.Ordinal)
                    .Replace("{body}", jsonBody is null ? "" : $"wrk.body = [[{jsonBody}]]", StringComparison.Ordinal),
                ct);

            // wrk is reaped before RunAsync returns, so its CPU shows in this process's children's times.
            var cpuBefore = ProcessStats.CpuSecondsOf(Environment.ProcessId);
            var output = await ChildProcess.RunAsync(
                wrk,
                [
                    "-t", Math.Min(connections, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                    "-c", connections.ToString(CultureInfo.InvariantCulture),
                    "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s",
                    "--timeout", "5s",
                    "-s", script,
                    url.ToString(),
                ],
                directory,
                ct);
            var cpu = ProcessStats.CpuSecondsOf(Environment.ProcessId) - cpuBefore;

            var summaryLine = output.Split('\n').LastOrDefault(l => l.StartsWith('{'))
                ?? throw new InvalidOperationException($"wrk printed no summary:\n{output}");
            var summary = JsonSerializer.Deserialize<WrkSummary>(summaryLine, JsonSerializerOptions.Web)!;
            // With no answered request wrk reports percentiles of 0; none is the truth.
            var answered = summary.Requests > 0;
            return new LoadResult(
                summary.Requests,
                summary.DurationMicroseconds / 1e6,
                answered ? summary.P50 / 1000 : double.NaN,
                answered ? summary.P99 / 1000 : double.NaN,
                summary.Status,
                summary.Connect + summary.Read + summary.Write + summary.Timeout,
                cpu);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed record WrkSummary(
        long Requests, double DurationMicroseconds, long Status, long Connect, long Read, long Write, long Timeout, double P50, double P99);
}
