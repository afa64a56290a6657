using System.Text.Json;

namespace AsyncRequests.Contracts;

/// <summary>The result of a <c>multiply</c> request.</summary>
/// <param name="Product">
/// The exact product as a JSON number: it may have more digits than a double holds, so read it with
/// <see cref="JsonElement.GetDouble"/> or <see cref="JsonElement.GetDecimal"/> as the size allows.
/// </param>
public sealed record MultiplyResult(JsonElement Product);

/// <summary>The result of a <c>compute</c> request.</summary>
public sealed record ComputeResult(int Count, double Sum, double Average, double Min, double Max);

/// <summary>The result of a <c>transform</c> request.</summary>
public sealed record TransformResult(string Upper, string Lower, int WordCount, int CharCount);

/// <summary>The result of a <c>text-analysis</c> request, one part per stage.</summary>
public sealed record TextAnalysisResult(TextAnalysisOcr Ocr, TextAnalysisMl Ml, TextAnalysisSearch Search);

/// <summary>The <c>ocr</c> stage: counts and the first (at most) 100 characters.</summary>
public sealed record TextAnalysisOcr(int CharCount, int WordCount, int LineCount, string Preview);

/// <summary>The <c>ml</c> stage: <c>positive</c>, <c>negative</c> or <c>neutral</c>, with a confidence from 0 to 1.</summary>
public sealed record TextAnalysisMl(string Sentiment, double Confidence);

/// <summary>The <c>search</c> stage: the most frequent words, most frequent first.</summary>
public sealed record TextAnalysisSearch(IReadOnlyList<KeywordCount> Keywords);

public sealed record KeywordCount(string Keyword, int Count);

/// <summary>A <c>fail</c> request never succeeds, so it never has a result; the type exists to tie it to its input.</summary>
public sealed record FailResult;
