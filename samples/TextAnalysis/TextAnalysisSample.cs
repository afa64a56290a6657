using AsyncRequests.Client;
using AsyncRequests.Contracts;

namespace AsyncRequests.Samples.TextAnalysis;

/// <summary>Submits a text analysis, prints its progress as it arrives, then its result.</summary>
public static class TextAnalysisSample
{
    public static async Task<TextAnalysisResult> RunAsync(AsyncRequestsClient client, string text, TextWriter output, CancellationToken cancellationToken)
    {
        var operation = await client.SubmitAsync(new TextAnalysisInput { Text = text, DelayMs = 1500 }, cancellationToken: cancellationToken);
        await output.WriteLineAsync($"Submitted {operation.Id}");

        await foreach (var status in operation.WatchAsync(cancellationToken))
        {
            await output.WriteLineAsync($"{status.Status.ToWireName(),-10} {status.Progress.Percent,3}% {status.Progress.Stage}");
        }

        var result = operation.Value;
        await output.WriteLineAsync($"Sentiment: {result.Ml.Sentiment} (confidence {result.Ml.Confidence:0.00})");
        await output.WriteLineAsync($"Keywords:  {string.Join(", ", result.Search.Keywords.Select(k => $"{k.Keyword} ×{k.Count}"))}");
        await output.WriteLineAsync($"Preview:   {result.Ocr.Preview}");
        return result;
    }
}
