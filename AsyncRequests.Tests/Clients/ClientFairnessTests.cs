using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientFairnessTests(TestServers servers)
{
    private const int Backlog = 50;

    [Fact]
    public async Task A_short_request_of_one_client_finishes_while_another_clients_backlog_of_long_requests_waits()
    {
        // Every one of 8 slots may run a multiply, so only the per-client cap (by default all slots but one) keeps a slot for the quiet client.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(
            servers,
            processors: 0,
            settings: TestClients.Settings(new() { ["Processor:MaxConcurrency"] = "8", ["Processor:TypeConcurrency:multiply"] = "8" }));
        var busy = await pipeline.CreateAsync("Busy");
        var quiet = await pipeline.CreateAsync("Quiet");
        using var asBusy = pipeline.ClientWith(busy.Key);
        using var asQuiet = pipeline.ClientWith(quiet.Key);
        for (var i = 0; i < Backlog; i++)
        {
            using var submitted = await asBusy.PostAsJsonAsync("/requests", new { type = "multiply", input = new { num1 = i, num2 = 2, delayMs = 60_000 } }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        }

        // Queued behind the whole backlog before any Processor runs.
        using (var submitted = await asQuiet.SubmitAsync())
        {
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        }

        pipeline.StartProcessor();

        await Eventually.HoldsAsync(
            async () => (await StatusesAsync(pipeline, quiet.Id)).SequenceEqual([RequestStatus.Succeeded]),
            () => "The quiet client's request did not finish while the busy client's backlog waited.",
            TimeSpan.FromSeconds(45));

        // Done while the backlog still waits: the busy client holds all slots but one, and none of its requests has finished.
        var backlog = await StatusesAsync(pipeline, busy.Id);
        Assert.Equal(Backlog, backlog.Count);
        Assert.Equal(7, backlog.Count(s => s == RequestStatus.Processing));
        Assert.Equal(Backlog - 7, backlog.Count(s => s == RequestStatus.Pending));
    }

    private static async Task<List<RequestStatus>> StatusesAsync(Infrastructure.Pipeline pipeline, string clientId)
    {
        await using var db = pipeline.CreateDbContext();
        return await db.Requests.Where(r => r.ClientId == clientId).Select(r => r.Status).ToListAsync();
    }
}
