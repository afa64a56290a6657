using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace AsyncRequests.Processor.Handlers;

public sealed class MultiplyHandler : RequestHandler<MultiplyInput, MultiplyResult>
{
    protected override async Task<MultiplyResult> HandleAsync(MultiplyInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0, "multiplying");
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        return new MultiplyResult(ExactProduct(input.Num1!.Value, input.Num2!.Value));
    }

    /// <summary>
    /// The exact product, as a JSON number: a double product rounds to 17 significant digits
    /// (123456789012345 × 987654321098765 would come out as 1.2193263113702107e29). Each factor is
    /// taken as the shortest decimal that reads back as the same double, which is the number the
    /// client wrote whenever it has at most 15 significant digits, so 0.1 × 0.2 is 0.02.
    /// </summary>
    private static JsonElement ExactProduct(double a, double b)
    {
        var (left, leftScale) = ToDecimal(a);
        var (right, rightScale) = ToDecimal(b);
        return JsonElement.Parse(Format(left * right, leftScale + rightScale));
    }

    /// <summary>The value as unscaled digits and a count of decimal places: 1.25 is (125, 2).</summary>
    private static (BigInteger Unscaled, int Scale) ToDecimal(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = text.IndexOf('E', StringComparison.Ordinal);
        var exponent = exponentAt < 0 ? 0 : int.Parse(text.AsSpan(exponentAt + 1), CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var pointAt = mantissa.IndexOf('.', StringComparison.Ordinal);
        var scale = (pointAt < 0 ? 0 : mantissa.Length - pointAt - 1) - exponent;
        var unscaled = BigInteger.Parse(mantissa.Replace(".", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return scale >= 0 ? (unscaled, scale) : (unscaled * BigInteger.Pow(10, -scale), 0);
    }

    private static string Format(BigInteger unscaled, int scale)
    {
        var digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        var whole = digits[..^scale];
        var fraction = digits[^scale..].TrimEnd('0');
        var sign = unscaled.Sign < 0 ? "-" : string.Empty;
        return fraction.Length == 0 ? sign + whole : $"{sign}{whole}.{fraction}";
    }
}
