using System.ComponentModel.DataAnnotations;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor;

public sealed class ProcessorOptions : IValidatableObject
{
    public const string SectionName = "Processor";

    /// <summary>Handlers one instance runs at once; it receives a full batch whenever a slot would otherwise idle.</summary>
    /// <remarks>
    /// Claims and outcomes are written for all the requests that reach that point together, so the requests in
    /// flight bound how many share a statement: draining a backlog, 8 slots gave about 2 per statement and 64 about 14
    /// (see README, Design for throughput).
    /// </remarks>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Long-polling wait of one receive.</summary>
    [Range(0, 20)]
    public int WaitTimeSeconds { get; set; } = 20;

    /// <summary>Attempts a request gets before a transient error fails it for good.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    [Range(0, 3600)]
    public int RetryBaseDelaySeconds { get; set; } = 2;

    [Range(0, 43_200)]
    public int RetryMaxDelaySeconds { get; set; } = 60;

    /// <summary>How often running requests are checked for a client's cancellation.</summary>
    [Range(50, 60_000)]
    public int CancellationCheckMilliseconds { get; set; } = 500;

    /// <summary>How long a stopping instance lets running handlers finish before it hands their requests back.</summary>
    [Range(0, 3600)]
    public int DrainTimeoutSeconds { get; set; } = 20;

    /// <summary>
    /// Per request type, the most handlers of that type one instance runs at once, so that slow types
    /// cannot take every slot (<c>Processor:TypeConcurrency:text-analysis = 2</c>). An unlisted type may
    /// take all slots but one (see <see cref="ConcurrencyLimitOf"/>).
    /// </summary>
    public Dictionary<string, int> TypeConcurrency { get; set; } = [];

    /// <summary>
    /// The most handlers of <paramref name="type"/> one instance runs at once: its
    /// <see cref="TypeConcurrency"/>, or else <see cref="MaxConcurrency"/> - 1, so that a full set of slow
    /// requests of one type always leaves a slot for a request of another type.
    /// </summary>
    public int ConcurrencyLimitOf(string type) =>
        TypeConcurrency.TryGetValue(type, out var limit) ? limit : Math.Max(1, MaxConcurrency - 1);

    /// <summary>
    /// The most handlers of one client's requests one instance runs at once, so that one client's backlog
    /// cannot take every slot; unset, <see cref="MaxConcurrency"/> - 1, like an unlisted type.
    /// </summary>
    public int? ClientConcurrency { get; set; }

    public int ClientConcurrencyLimit => ClientConcurrency ?? Math.Max(1, MaxConcurrency - 1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ClientConcurrency is < 1 || ClientConcurrency > MaxConcurrency)
        {
            yield return new ValidationResult(
                $"Processor:ClientConcurrency is {ClientConcurrency}; it must be between 1 and Processor:MaxConcurrency ({MaxConcurrency}).",
                [nameof(ClientConcurrency)]);
        }

        foreach (var (type, limit) in TypeConcurrency)
        {
            if (!RequestTypeNames.Names.Contains(type))
            {
                yield return new ValidationResult(
                    $"Processor:TypeConcurrency:{type} names no request type; known types: {string.Join(", ", RequestTypeNames.Names)}.",
                    [nameof(TypeConcurrency)]);
            }
            else if (limit < 1 || limit > MaxConcurrency)
            {
                yield return new ValidationResult(
                    $"Processor:TypeConcurrency:{type} is {limit}; it must be between 1 and Processor:MaxConcurrency ({MaxConcurrency}).",
                    [nameof(TypeConcurrency)]);
            }
        }
    }
}

/// <summary>Checks the attributes and the <see cref="ProcessorOptions.Validate"/> rules in generated code, without reflection.</summary>
[OptionsValidator]
public sealed partial class ProcessorOptionsValidator : IValidateOptions<ProcessorOptions>;
