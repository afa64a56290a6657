using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

public sealed class ConnectionBudgetTests(TestServers servers)
{
    [Fact]
    public async Task Reads_beyond_the_connection_budget_are_answered_503_without_waiting_for_a_connection()
    {
        // A pool of 6 leaves one connection for reads (the rest is kept for writes), plus one read queued.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Database:MaxPoolSize"] = "6",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 2 });

        // Every read now blocks inside the database until the lock goes.
        var connectionString = new NpgsqlConnectionStringBuilder(pipeline.Settings["ConnectionStrings:requestsdb"]) { Pooling = false }.ConnectionString;
        await using var blocker = new NpgsqlConnection(connectionString);
        await blocker.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await blocker.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var reads = Enumerable.Range(0, 5).Select(_ => pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken)).ToList();
        var refused = new List<HttpResponseMessage>();
        while (refused.Count < 3)
        {
            var answered = await Task.WhenAny(reads).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            reads.Remove(answered);
            refused.Add(await answered);
        }

        foreach (var response in refused)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("System saturated", (await response.Content.ReadFromJsonAsync<ProblemDetails>(TestContext.Current.CancellationToken))!.Title);
            response.Dispose();
        }

        await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        foreach (var read in reads)
        {
            using var response = await read;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
