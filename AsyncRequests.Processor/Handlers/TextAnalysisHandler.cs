using System.Collections.Frozen;
using System.Globalization;

namespace AsyncRequests.Processor.Handlers;

/// <summary>Three stages, as a document pipeline would run them: read the text, classify it, index it.</summary>
public sealed class TextAnalysisHandler : RequestHandler<TextAnalysisInput, TextAnalysisResult>
{
    private const int PreviewLength = 100;
    private const int KeywordCount = 5;

    private static readonly FrozenSet<string> s_positive = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "good", "great", "excellent", "happy", "love", "like", "fast", "reliable", "best", "wonderful", "nice", "easy", "success");

    private static readonly FrozenSet<string> s_negative = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "bad", "terrible", "awful", "sad", "hate", "slow", "broken", "worst", "poor", "fail", "failure", "hard", "error");

    private static readonly FrozenSet<string> s_stopWords = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "the", "a", "an", "and", "or", "but", "is", "are", "was", "were", "be", "to", "of", "in", "on", "for", "with",
        "it", "this", "that", "as", "at", "by", "from", "i", "you", "we", "they", "he", "she", "not", "so", "very");

    protected override async Task<TextAnalysisResult> HandleAsync(TextAnalysisInput input, RequestContext context, CancellationToken cancellationToken)
    {
        var text = input.Text!;
        var words = TextStatistics.Words(text);

        await context.ReportProgressAsync(0, "ocr");
        await context.SimulateWorkAsync(input.DelayMs, 1 / 3.0, cancellationToken);
        var ocr = new TextAnalysisOcr(
            CharCount: text.Length,
            WordCount: words.Count,
            LineCount: text.Split('\n').Length,
            Preview: Preview(text));

        await context.ReportProgressAsync(33, "ml");
        await context.SimulateWorkAsync(input.DelayMs, 1 / 3.0, cancellationToken);
        var positive = words.Count(s_positive.Contains);
        var negative = words.Count(s_negative.Contains);
        var scored = positive + negative;
        var ml = new TextAnalysisMl(
            Sentiment: positive > negative ? "positive" : negative > positive ? "negative" : "neutral",
            Confidence: scored == 0 ? 0.5 : Math.Round((double)Math.Max(positive, negative) / scored, 2));

        await context.ReportProgressAsync(66, "search");
        await context.SimulateWorkAsync(input.DelayMs, 1 / 3.0, cancellationToken);
        var keywords = words
            .Where(w => w.Length > 2 && !s_stopWords.Contains(w))
            .GroupBy(w => w.ToLowerInvariant().Replace('\u2019', '\''))
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(KeywordCount)
            .Select(g => new KeywordCount(g.Key, g.Count()));

        return new TextAnalysisResult(ocr, ml, new TextAnalysisSearch([.. keywords]));
    }

    /// <summary>
    /// At most <see cref="PreviewLength"/> UTF-16 units, cut between user-perceived characters: cutting
    /// inside a surrogate pair would leave half an emoji, which JSON can only write as U+FFFD.
    /// </summary>
    private static string Preview(string text)
    {
        var length = 0;
        while (length < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text, length);
            if (length + next > PreviewLength)
            {
                break;
            }

            length += next;
        }

        return text[..length];
    }
}
