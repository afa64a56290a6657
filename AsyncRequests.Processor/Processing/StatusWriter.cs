namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Writes what running handlers report, in batches. Outcomes from concurrent handlers are recorded
/// together in one statement as soon as the writer is free (no linger, so a lone outcome is written
/// at once), and each caller awaits its own: recorded, or not because the lease was lost. Progress is
/// coalesced: the latest report of each request is written after a short debounce, and not at all
/// when the handler finishes first.
/// </summary>
public sealed partial class StatusWriter(RequestLeases leases, RunningRequests running, TimeProvider time, ILogger<StatusWriter> logger)
{
    private const int MaxBatch = 100;
    private static readonly TimeSpan s_progressDebounce = TimeSpan.FromMilliseconds(200);

    private readonly GroupCommit<OutcomeRecord, bool> _outcomes = new(
        async batch =>
        {
            var recorded = await leases.RecordAsync(batch, CancellationToken.None);
            return [.. batch.Select(o => recorded.Contains(o.RequestId))];
        },
        MaxBatch);

    private int _progressScheduled;

    /// <summary>Records <paramref name="outcome"/> with whatever else is waiting; false if the lease it was reached under is no longer held.</summary>
    public Task<bool> RecordAsync(OutcomeRecord outcome) => _outcomes.SubmitAsync(outcome);

    /// <summary>A handler reported progress (kept on its <see cref="RunningRequest"/>): write it soon.</summary>
    public void ProgressReported()
    {
        if (Interlocked.Exchange(ref _progressScheduled, 1) == 0)
        {
            using var untraced = BackgroundTracing.Suppress();
            _ = WriteProgressAsync();
        }
    }

    private async Task WriteProgressAsync()
    {
        await Task.Delay(s_progressDebounce, time);
        Volatile.Write(ref _progressScheduled, 0);
        var reports = running.All
            .Select(r => r.TakeProgress() is { } progress ? new LeaseKeeping(r.RequestId, r.Owner, progress) : null)
            .OfType<LeaseKeeping>()
            .ToList();
        if (reports.Count == 0)
        {
            return;
        }

        try
        {
            await leases.WriteProgressAsync(reports, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Progress is informative: losing an update (to a database hiccup, say) must not fail the work.
            LogProgressLost(logger, reports.Count, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the progress of {Count} running requests")]
    private static partial void LogProgressLost(ILogger logger, int count, Exception exception);
}
