using System.Globalization;
using System.Text.RegularExpressions;
using AsyncRequests.Benchmarks.Reporting;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks;

/// <summary>
/// The floor under both systems: how many one-row INSERTs (a uuid and a small jsonb, prepared) per second
/// the same PostgreSQL server commits, measured with pgbench.
/// </summary>
public static partial class Floor
{
    public static readonly int[] Clients = [8, 32];

    public static string? FindPgbench(PostgresServer postgres) =>
        File.Exists(Path.Combine(postgres.BinDirectory, "pgbench")) ? Path.Combine(postgres.BinDirectory, "pgbench") : ChildProcess.FindOnPath("pgbench");

    public static async Task<IReadOnlyList<FloorResult>> RunAsync(
        PostgresServer postgres, string pgbench, string database, int repetition, TimeSpan duration, CancellationToken ct)
    {
        var connectionString = await postgres.CreateDatabaseAsync(database, ct);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand("CREATE TABLE floor_rows (id uuid PRIMARY KEY, body jsonb NOT NULL)", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        var directory = Directory.CreateTempSubdirectory("asyncrequests-floor-").FullName;
        try
        {
            var script = Path.Combine(directory, "insert.sql");
            await File.WriteAllTextAsync(
                script, """INSERT INTO floor_rows (id, body) VALUES (gen_random_uuid(), '{"num1": 6, "num2": 7}');""" + "\n", ct);
            var results = new List<FloorResult>();
            foreach (var clients in Clients)
            {
                var output = await ChildProcess.RunAsync(
                    pgbench,
                    [
                        "-n", "-M", "prepared", "-f", script,
                        "-c", clients.ToString(CultureInfo.InvariantCulture),
                        "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                        "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                        "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture),
                        "-U", PostgresServer.Superuser, database,
                    ],
                    directory,
                    ct);
                var tps = TransactionsPerSecond().Match(output);
                if (!tps.Success)
                {
                    throw new InvalidOperationException($"pgbench printed no tps:\n{output}");
                }

                results.Add(new FloorResult(repetition, clients, double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture)));
            }

            return results;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TransactionsPerSecond();
}
