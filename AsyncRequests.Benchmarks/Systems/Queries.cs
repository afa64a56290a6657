using Npgsql;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>Runs a system's read queries, each with its scenario mark as the only parameter ($1).</summary>
internal static class Queries
{
    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql, object mark, CancellationToken ct)
    {
        await using var command = Command(database, sql, mark);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Reads one row of five counts: stored, succeeded once, duplicated, not succeeded, processed more than once.</summary>
    public static async Task<Outcomes> OutcomesAsync(NpgsqlDataSource database, string sql, object mark, CancellationToken ct)
    {
        await using var command = Command(database, sql, mark);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Outcomes(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <summary>Reads rows of two milliseconds figures: accept → start and accept → done.</summary>
    public static async Task<IReadOnlyList<(double StartMs, double DoneMs)>> LatenciesAsync(
        NpgsqlDataSource database, string sql, object mark, CancellationToken ct)
    {
        await using var command = Command(database, sql, mark);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var latencies = new List<(double, double)>();
        while (await reader.ReadAsync(ct))
        {
            latencies.Add((reader.GetDouble(0), reader.GetDouble(1)));
        }

        return latencies;
    }

    /// <summary>Reads one row of two times as seconds since the Unix epoch (UTC), such as the first and the last completion.</summary>
    public static async Task<(DateTimeOffset First, DateTimeOffset Last)> TimesAsync(
        NpgsqlDataSource database, string sql, object mark, CancellationToken ct)
    {
        await using var command = Command(database, sql, mark);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.IsDBNull(0)
            ? throw new InvalidOperationException("No request of the scenario has completed.")
            : (FromEpochSeconds(reader.GetDouble(0)), FromEpochSeconds(reader.GetDouble(1)));

        static DateTimeOffset FromEpochSeconds(double seconds) => DateTimeOffset.UnixEpoch.AddSeconds(seconds);
    }

    private static NpgsqlCommand Command(NpgsqlDataSource database, string sql, object mark)
    {
        var command = database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = mark });
        return command;
    }
}
