using System.Text.RegularExpressions;

namespace AsyncRequests.Processor.Handlers;

internal static partial class TextStatistics
{
    public static IReadOnlyList<string> Words(string text) =>
        [.. WordPattern().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"[\p{L}\p{N}']+")]
    private static partial Regex WordPattern();
}
