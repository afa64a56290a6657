using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// Whether the Processors are falling behind: more than <see cref="BackpressureOptions.MaxWaitingRequests"/>
/// requests pending for longer than <see cref="BackpressureOptions.WaitingAgeSeconds"/>, whatever the
/// cause (Processors stopped or too few, SQS down). Read through the (status, created_at) index,
/// counting no further than the limit, at most once a second per Api instance.
/// </summary>
public sealed class Backlog(NpgsqlDataSource dataSource, TimeProvider time, IOptions<BackpressureOptions> options)
{
    private static readonly TimeSpan s_fresh = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _readAtTicks;
    private volatile bool _saturated;

    public async ValueTask<bool> IsSaturatedAsync(CancellationToken cancellationToken)
    {
        // One caller reads; the others go on with the last answer rather than wait for it.
        if (time.GetUtcNow().UtcTicks - Volatile.Read(ref _readAtTicks) < s_fresh.Ticks || !await _refreshing.WaitAsync(0, cancellationToken))
        {
            return _saturated;
        }

        try
        {
            var limits = options.Value;
            await using var command = dataSource.CreateCommand(
                "SELECT count(*) FROM (SELECT 1 FROM requests WHERE status = 'pending' AND created_at < $1 LIMIT $2) AS waiting");
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().AddSeconds(-limits.WaitingAgeSeconds) });
            command.Parameters.Add(new NpgsqlParameter { Value = limits.MaxWaitingRequests + 1 });
            _saturated = (long)(await command.ExecuteScalarAsync(cancellationToken))! > limits.MaxWaitingRequests;
            Volatile.Write(ref _readAtTicks, time.GetUtcNow().UtcTicks);
            return _saturated;
        }
        finally
        {
            _refreshing.Release();
        }
    }
}
