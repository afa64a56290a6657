using Npgsql;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// Whether a client has its <see cref="ClientLimits.MaxPendingRequests"/> unfinished requests already, counted
/// through the partial index of unfinished rows by client, no further than the cap. Submits racing past the
/// count together may overshoot it by their number.
/// </summary>
public sealed class PendingRequests(NpgsqlDataSource dataSource)
{
    public async ValueTask<bool> IsAtCapAsync(string clientId, int cap, CancellationToken cancellationToken)
    {
        if (cap == 0)
        {
            return false;
        }

        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM (SELECT 1 FROM requests WHERE client_id = $1 AND status IN ('pending', 'processing') LIMIT $2) AS unfinished");
        command.Parameters.Add(new NpgsqlParameter { Value = clientId });
        command.Parameters.Add(new NpgsqlParameter { Value = cap });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! >= cap;
    }
}
