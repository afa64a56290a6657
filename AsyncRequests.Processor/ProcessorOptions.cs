using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Processor;

public sealed class ProcessorOptions
{
    public const string SectionName = "Processor";

    /// <summary>Handlers one instance runs at once; it receives only as many messages as it has room for.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 8;

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
}
