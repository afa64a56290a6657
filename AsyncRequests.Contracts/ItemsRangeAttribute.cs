using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace AsyncRequests.Contracts;

/// <summary>Like <see cref="RangeAttribute"/>, for every number of an array.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemsRangeAttribute(double minimum, double maximum)
    : ValidationAttribute(string.Create(CultureInfo.InvariantCulture, $"Every number must be between {minimum:G} and {maximum:G}."))
{
    public double Minimum { get; } = minimum;

    public double Maximum { get; } = maximum;

    public override bool IsValid(object? value) =>
        value is not IEnumerable<double> numbers || numbers.All(n => n >= Minimum && n <= Maximum);
}
