using Amazon.Runtime;
using Amazon.SQS;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Admin;

/// <summary>
/// Reads the numbers of <c>GET /admin/stats</c> and keeps them a while, so any number of pollers costs
/// one reading per interval. All but one query read a few index entries: the oldest pending row is the
/// first entry of (status, created_at, id), the backlog the partial index of unpublished rows, the last
/// minute's completions a short range of the partial completed_at index. The counts by status and type
/// must visit every row (an index-only or sequential scan), so a reading is kept for at least ten times
/// as long as it took: on a table of any size, stats use under a tenth of one database connection.
/// </summary>
public sealed partial class AdminStatistics(
    IDbContextFactory<RequestsDbContext> contexts,
    IAmazonSQS sqs,
    QueueTopology topology,
    TimeProvider time,
    IOptions<AdminOptions> options,
    ILogger<AdminStatistics> logger)
{
    private const int CacheToReadRatio = 10;

    /// <summary>The stats page must answer while SQS is slow or down; its depths are then unknown.</summary>
    private static readonly TimeSpan s_queueTimeout = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private (AdminStats Stats, long At, TimeSpan Took)? _last;

    public async Task<AdminStats> GetAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } cached)
        {
            return cached;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } readMeanwhile)
            {
                return readMeanwhile;
            }

            var started = time.GetTimestamp();
            var stats = await ReadAsync(cancellationToken);
            _last = (stats, time.GetTimestamp(), time.GetElapsedTime(started));
            return stats;
        }
        finally
        {
            _reading.Release();
        }
    }

    private AdminStats? Fresh()
    {
        if (_last is not { } last)
        {
            return null;
        }

        var keep = TimeSpan.FromMilliseconds(Math.Max(options.Value.StatsCacheMilliseconds, CacheToReadRatio * last.Took.TotalMilliseconds));
        return time.GetElapsedTime(last.At) < keep ? last.Stats : null;
    }

    private async Task<AdminStats> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now.AddMinutes(-1);
        var queue = ReadQueueDepthsAsync(cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var counts = await db.Requests
            .GroupBy(r => new { r.Status, r.Type })
            .Select(g => new { g.Key.Status, g.Key.Type, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        var oldestPending = await db.Requests
            .Where(r => r.Status == RequestStatus.Pending)
            .MinAsync(r => (DateTimeOffset?)r.CreatedAt, cancellationToken);
        var backlog = await db.Requests.LongCountAsync(r => r.PublishedAt == null, cancellationToken);
        var completed = await db.Requests
            .Where(r => r.CompletedAt >= since)
            .GroupBy(r => r.Status)
            .Select(g => new { Status = g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(c => c.Status, c => c.Count, cancellationToken);

        long CountOf(RequestStatus status) => counts.Where(c => c.Status == status).Sum(c => c.Count);
        var byType = RequestTypeNames.Names.ToDictionary(name => name, _ => 0L);
        foreach (var type in counts.GroupBy(c => c.Type))
        {
            byType[type.Key] = type.Sum(c => c.Count);
        }

        return new AdminStats(
            new StatusCounts(
                CountOf(RequestStatus.Pending),
                CountOf(RequestStatus.Processing),
                CountOf(RequestStatus.Succeeded),
                CountOf(RequestStatus.Failed),
                CountOf(RequestStatus.Cancelled)),
            byType,
            oldestPending is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : null,
            backlog,
            await queue,
            new TerminalCounts(
                completed.GetValueOrDefault(RequestStatus.Succeeded),
                completed.GetValueOrDefault(RequestStatus.Failed),
                completed.GetValueOrDefault(RequestStatus.Cancelled)));
    }

    private async Task<QueueDepths> ReadQueueDepthsAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_queueTimeout);
        try
        {
            var urls = await topology.GetUrlsAsync(timeout.Token);
            var queue = sqs.GetQueueAttributesAsync(urls.Queue, ["ApproximateNumberOfMessages"], timeout.Token);
            var deadLetter = sqs.GetQueueAttributesAsync(urls.DeadLetterQueue, ["ApproximateNumberOfMessages"], timeout.Token);
            await Task.WhenAll(queue, deadLetter);
            return new QueueDepths(queue.Result.ApproximateNumberOfMessages, deadLetter.Result.ApproximateNumberOfMessages);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogQueueUnavailable(logger, e);
            return new QueueDepths(null, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the queue depths for the admin stats; they are reported as unknown")]
    private static partial void LogQueueUnavailable(ILogger logger, Exception exception);
}
