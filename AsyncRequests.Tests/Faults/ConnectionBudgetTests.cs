using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

/// <summary>
/// Reads beyond the connections kept for them wait their turn, up to <c>Database:ConnectionWaitMilliseconds</c>,
/// and only then are answered 503: a burst is served, a database that keeps every connection busy is not waited on.
/// </summary>
public sealed class ConnectionBudgetTests(TestServers servers)
{
    /// <summary>A pool of 6 keeps 5 connections for writes, which leaves one for reads.</summary>
    private static readonly Dictionary<string, string?> s_onePermit = new() { ["Database:MaxPoolSize"] = "6" };

    [Fact]
    public async Task More_concurrent_reads_than_connections_all_get_200_when_each_waits_only_briefly()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>(s_onePermit)
        {
            // Far longer than 40 short reads take one after another, even on a busy machine.
            ["Database:ConnectionWaitMilliseconds"] = "20000",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 2 });

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
            return response.StatusCode;
        }));

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task Reads_beyond_the_connection_budget_wait_up_to_the_bound_then_are_answered_503()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: s_onePermit);
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

        // One read takes the only connection and blocks; the other four wait for it in vain.
        var reads = Enumerable.Range(0, 5).Select(_ => pipeline.Client.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken)).ToList();
        var refused = new List<HttpResponseMessage>();
        while (refused.Count < 4)
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
        using var served = await Assert.Single(reads);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
