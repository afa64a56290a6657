using System.Text.RegularExpressions;

namespace AsyncRequests.Processor.Handlers;

internal static partial class TextStatistics
{
    /// <summary>
    /// Runs of letters (with their combining marks) and digits; an apostrophe counts only inside a
    /// word ("don't"), so quotation marks around a word are not part of it.
    /// </summary>
    public static IReadOnlyList<string> Words(string text) =>
        [.. WordPattern().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"[\p{L}\p{M}\p{N}]+(?:['\u2019][\p{L}\p{M}\p{N}]+)*")]
    private static partial Regex WordPattern();
}
