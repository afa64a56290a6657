using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Outbox;

public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often the relay looks for requests whose message was never sent.</summary>
    [Range(1, 3600)]
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>How long one send may take before it is left to the next relay pass.</summary>
    [Range(1, 60)]
    public int SendTimeoutSeconds { get; set; } = 2;

    /// <summary>The relay leaves younger requests alone: their submit is most likely still sending them.</summary>
    [Range(0, 3600)]
    public int MinimumAgeSeconds { get; set; } = 5;

    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;
}
