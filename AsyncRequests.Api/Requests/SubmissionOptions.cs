using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Requests;

public sealed class SubmissionOptions
{
    public const string SectionName = "Requests";

    /// <summary>What <c>Retry-After</c> tells a polling client while a request is not terminal.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// How often event streams re-read their requests although no change was announced: a safety net,
    /// since streams otherwise read only when PostgreSQL notifies a change.
    /// </summary>
    [Range(1, 3600)]
    public int EventsRefreshSeconds { get; set; } = 15;

    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>The most submissions stored in one statement.</summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>
    /// The most batches being stored at once, each on its own connection: the next batch goes in while the
    /// previous one commits. A caller is still answered only once its own batch has committed. One by
    /// default: a second batch in flight splits the batches (at 32 connections the median batch held
    /// mostly 1 or 2 requests), which pays only where PostgreSQL and the Api have CPU to spare.
    /// </summary>
    [Range(1, 16)]
    public int MaxBatchesInFlight { get; set; } = 1;

    /// <summary>Submissions waiting for the writer beyond this are answered 503 at once.</summary>
    [Range(1, 100_000)]
    public int MaxQueuedSubmissions { get; set; } = 1000;
}
