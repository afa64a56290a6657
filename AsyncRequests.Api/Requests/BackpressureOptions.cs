using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Requests;

public sealed class BackpressureOptions
{
    public const string SectionName = "Backpressure";

    /// <summary>Submissions are refused (503) while more requests than this wait longer than <see cref="WaitingAgeSeconds"/>.</summary>
    [Range(1, 1_000_000)]
    public int MaxWaitingRequests { get; set; } = 50_000;

    /// <summary>A pending request younger than this is normal work in flight, not backlog.</summary>
    [Range(0, 86_400)]
    public int WaitingAgeSeconds { get; set; } = 30;

    /// <summary>Also what <c>Retry-After</c> tells a client turned away.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 5;
}
