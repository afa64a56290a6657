using System.ComponentModel.DataAnnotations;

namespace AsyncRequests.Api.Outbox;

public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often the relay looks for requests whose message was never sent, once it has sent all it found.</summary>
    [Range(1, 3600)]
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>
    /// How long one send may take before it is left to the next relay pass. SQS may well have taken the
    /// messages of a send that timed out, so each timeout is a likely duplicate: this bounds a hung SQS,
    /// not a slow answer.
    /// </summary>
    [Range(1, 60)]
    public int SendTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// The relay leaves younger requests alone: their submit is most likely still sending them. Keep it above
    /// <see cref="SendTimeoutSeconds"/>, or the relay sends again what a slow send is still sending.
    /// </summary>
    [Range(0, 3600)]
    public int MinimumAgeSeconds { get; set; } = 15;

    /// <summary>
    /// Rows one relay pass (and one stranded-request check) takes. A pass sends them as BatchSize / 10
    /// SendMessageBatch calls at once, so this also bounds the calls in flight; passes run back to back
    /// while they find a full batch.
    /// </summary>
    [Range(10, 100)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// A pending request untouched this long is taken to have lost its message, and is sent again.
    /// Keep it above the longest a live message stays away: a retry's backoff (Processor:RetryMaxDelaySeconds),
    /// a receive whose claim failed (Queue:VisibilityTimeoutSeconds), and a wait in the queue's backlog.
    /// </summary>
    [Range(1, 1_209_600)]
    public int StrandedAfterSeconds { get; set; } = 300;

    [Range(1, 3600)]
    public int StrandedCheckIntervalSeconds { get; set; } = 30;
}
