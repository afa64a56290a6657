using System.Collections.Frozen;
using System.Reflection;

namespace AsyncRequests.Requests.RequestTypes;

/// <summary>
/// The request types this system knows: each input record of the contract, named by its
/// <see cref="RequestTypeAttribute"/>. Listed rather than found by scanning the assembly, which a trimmed
/// (Native AOT) Processor cannot do; a test holds the list to the contract's input records.
/// </summary>
public static class RequestTypeNames
{
    private static readonly FrozenDictionary<string, Type> s_inputTypes = new[]
    {
        typeof(MultiplyInput), typeof(ComputeInput), typeof(TransformInput), typeof(TextAnalysisInput), typeof(FailInput),
    }.ToFrozenDictionary(NameOf, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => s_inputTypes.Keys;

    /// <summary>The input record of each request type, by name.</summary>
    public static IReadOnlyDictionary<string, Type> InputTypes => s_inputTypes;

    public static string NameOf(Type inputType) =>
        inputType.GetCustomAttribute<RequestTypeAttribute>()?.Name
        ?? throw new InvalidOperationException($"{inputType.Name} has no [{nameof(RequestTypeAttribute)}].");

    public static string NameOf<TInput>() where TInput : RequestInput => NameOf(typeof(TInput));
}
