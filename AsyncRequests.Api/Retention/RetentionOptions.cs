using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Retention;

/// <summary>How long terminal requests are kept, by their completion time; 0 keeps them forever.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    [Range(0, 36_500)]
    public int SucceededAfterDays { get; set; } = 7;

    [Range(0, 36_500)]
    public int FailedAfterDays { get; set; } = 30;

    [Range(0, 36_500)]
    public int CancelledAfterDays { get; set; } = 7;

    /// <summary>How often a purge pass runs.</summary>
    [Range(1, 86_400)]
    public int IntervalSeconds { get; set; } = 300;

    /// <summary>Rows deleted per statement: small enough that no statement holds many locks or runs long.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>The pause between two batches of one pass, leaving the database to other work.</summary>
    [Range(0, 60_000)]
    public int BatchPauseMilliseconds { get; set; } = 200;
}
