using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// What text may reach the database: PostgreSQL's text and jsonb hold neither the NUL character
/// (U+0000) nor lone surrogates (invalid UTF-16), so such text is refused at the door, with a reason,
/// instead of failing the insert.
/// </summary>
public static class StorableText
{
    /// <summary>Why <paramref name="value"/> cannot be stored, or null when it can.</summary>
    public static string? FindProblem(string value)
    {
        for (var at = 0; at < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(at), out var rune, out var length) != OperationStatus.Done)
            {
                return $"Text must be valid Unicode; this holds a lone surrogate (\\u{(int)value[at]:x4}) at position {at}.";
            }

            if (rune.Value == 0)
            {
                return $"Text must not contain the NUL character (\\u0000); this holds one at position {at}.";
            }

            at += length;
        }

        return null;
    }

    /// <summary>
    /// The first problem anywhere in a JSON body, keyed by the path a client wrote (<c>input.text</c>):
    /// a property name or string value that cannot be stored, or a property named twice in one object
    /// (<c>{"num1":5,"num1":7}</c> would otherwise quietly mean 7).
    /// </summary>
    public static (string Field, string Message)? FindProblem(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (Read(() => property.Name, out var name) is { } nameProblem)
                    {
                        return (FieldOf(path), $"A property name is not storable. {nameProblem}");
                    }

                    if (!names.Add(name))
                    {
                        return (Join(path, name), $"The property '{name}' appears more than once; send it once.");
                    }

                    if (FindProblem(property.Value, Join(path, name)) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindProblem(item, $"{path}[{index++}]") is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.String:
                return Read(() => element.GetString()!, out _) is { } textProblem ? (FieldOf(path), textProblem) : null;
            default:
                return null;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string FieldOf(string path) => path.Length == 0 ? "body" : path;

    // An escaped lone surrogate ("\ud800") cannot even become a .NET string: reading it throws.
    private static string? Read(Func<string> read, out string text)
    {
        try
        {
            text = read();
            return FindProblem(text);
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return "Text must be valid Unicode; this holds an escaped lone surrogate such as \\ud800.";
        }
    }
}
