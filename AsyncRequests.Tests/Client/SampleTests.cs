using AsyncRequests.Samples.TextAnalysis;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Client;

public sealed class SampleTests(TestServers servers)
{
    [Fact]
    public async Task The_text_analysis_sample_prints_progress_as_it_arrives_and_then_the_result()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        using var clients = new RequestsClients(pipeline.Client.BaseAddress!);
        using var output = new StringWriter();

        var result = await TextAnalysisSample.RunAsync(clients.Client, "Great queue, great service.", output, TestContext.Current.CancellationToken);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("Submitted ", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("processing", StringComparison.Ordinal) && l.EndsWith("% ml", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("succeeded  100%", StringComparison.Ordinal));
        Assert.Equal("Sentiment: positive (confidence 1.00)", lines[^3]);
        Assert.Equal("positive", result.Ml.Sentiment);
    }
}
