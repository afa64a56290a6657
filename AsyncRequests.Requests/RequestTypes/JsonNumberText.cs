using System.Globalization;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// A JSON number exactly as written, compared as a decimal of any length: a double would round
/// 1000000000000000.01 to 1e15 and so let it pass a maximum of 1e15. The value is ±0.Digits × 10^Exponent.
/// </summary>
public readonly record struct JsonNumberText
{
    // Far beyond any exponent a body within the size limit could make meaningful, and safe from overflow.
    private const long ExponentLimit = 1_000_000_000_000;

    private JsonNumberText(bool negative, string digits, long exponent)
    {
        Negative = negative && digits.Length > 0;
        Digits = digits;
        Exponent = digits.Length > 0 ? exponent : 0;
    }

    private bool Negative { get; }

    /// <summary>The significant digits: no leading or trailing zero; empty for zero.</summary>
    private string Digits { get; }

    private long Exponent { get; }

    public bool IsInteger => Digits.Length <= Exponent || Digits.Length == 0;

    /// <summary>Reads a number in JSON's grammar (as <see cref="System.Text.Json.JsonElement.GetRawText"/> gives it).</summary>
    public static JsonNumberText Parse(string text)
    {
        var negative = text.StartsWith('-');
        var mantissaEnd = text.IndexOfAny(['e', 'E']);
        var mantissa = text[(negative ? 1 : 0)..(mantissaEnd < 0 ? text.Length : mantissaEnd)];
        var point = mantissa.IndexOf('.');
        var integerPart = point < 0 ? mantissa : mantissa[..point];
        var digits = point < 0 ? mantissa : integerPart + mantissa[(point + 1)..];
        var exponent = integerPart.Length + (mantissaEnd < 0 ? 0 : ParseExponent(text[(mantissaEnd + 1)..]));
        var significant = digits.TrimStart('0');
        exponent -= digits.Length - significant.Length;
        return new JsonNumberText(negative, significant.TrimEnd('0'), exponent);
    }

    public static JsonNumberText From(double value) => Parse(value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>The value as a long, when it is an integer within the range of one.</summary>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        return Digits.Length == 0
            || (IsInteger && Exponent <= 19 && long.TryParse(
                (Negative ? "-" : string.Empty) + Digits.PadRight((int)Exponent, '0'), CultureInfo.InvariantCulture, out value));
    }

    public int CompareTo(JsonNumberText other)
    {
        if (Sign != other.Sign)
        {
            return Sign.CompareTo(other.Sign);
        }

        var magnitude = Exponent != other.Exponent
            ? Exponent.CompareTo(other.Exponent)
            : string.CompareOrdinal(Digits, other.Digits);
        return Negative ? -magnitude : magnitude;
    }

    private int Sign => Digits.Length == 0 ? 0 : Negative ? -1 : 1;

    private static long ParseExponent(string text)
    {
        var negative = text.StartsWith('-');
        var digits = text.TrimStart('+', '-').TrimStart('0');
        var magnitude = digits.Length > 13 ? ExponentLimit : Math.Min(ExponentLimit, long.Parse("0" + digits, CultureInfo.InvariantCulture));
        return negative ? -magnitude : magnitude;
    }
}
