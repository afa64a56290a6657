using System.Text.Json;
using System.Text.Json.Serialization;

namespace AsyncRequests.Benchmarks.Reporting;

/// <summary>The results file (<c>--output</c>): written at the end of a run, read back to draw the chart again.</summary>
public static class ResultsJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // A figure without samples is NaN.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Task WriteAsync(BenchmarkResult result, string path) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, Options));

    public static async Task<BenchmarkResult> ReadAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<BenchmarkResult>(file, Options)
            ?? throw new InvalidDataException($"{path} holds no benchmark results.");
    }
}
