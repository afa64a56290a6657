using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Faults;

/// <summary>Services started while a dependency is down wait for it, say so on <c>/health</c>, and work once it is back.</summary>
public sealed class StartupOutageTests(TestServers servers)
{
    [Fact]
    public async Task A_processor_started_while_SQS_is_down_waits_for_it_and_every_accepted_request_completes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sqs = await SqsServer.StartAsync(persistent: true, ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, sqs: sqs);
        var first = pipeline.StartProcessorProcess();
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3, delayMs = 2000 }));
        }

        await pipeline.WaitUntilAsync(ids[0], d => d.Status == RequestStatus.Processing);
        await first.KillAsync();
        await sqs.StopAsync();
        var replacement = pipeline.StartProcessorProcess();
        using var health = await ProcessHttp.ClientForAsync(replacement);

        await ProcessHttp.WaitForHealthAsync(health, HttpStatusCode.ServiceUnavailable, "Processor");
        for (var i = 10; i < 20; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3 }));
        }

        Assert.False(replacement.HasExited);
        await sqs.StartAgainAsync(ct);

        var statuses = new List<RequestStatus>();
        foreach (var id in ids)
        {
            statuses.Add((await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(120))).Status);
        }

        Assert.Equal(Enumerable.Repeat(RequestStatus.Succeeded, ids.Count), statuses);
        await ProcessHttp.WaitForHealthAsync(health, HttpStatusCode.OK, "Processor");
    }

    [Fact]
    public async Task An_api_started_while_PostgreSQL_is_down_answers_health_and_refuses_requests_until_it_has_migrated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, postgres: postgres);
        await pipeline.StopApiAsync();
        await postgres.StopAsync(ct);

        // A real process: before it has migrated, an Api that waits in its start answers nothing at all.
        var (api, client) = await pipeline.StartApiProcessAsync();
        using (client)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await ProcessHttp.HealthAsync(client));
            using (var refused = await client.PostAsJsonAsync("/requests", new { type = "multiply", input = new { num1 = 1, num2 = 1 } }, ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(refused.Headers.RetryAfter);
            }

            Assert.False(api.HasExited);
            await postgres.StartAgainAsync(ct);
            await ProcessHttp.WaitForHealthAsync(client, HttpStatusCode.OK, "Api");

            using var accepted = await client.PostAsJsonAsync("/requests", new { type = "multiply", input = new { num1 = 6, num2 = 7 } }, ct);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            var id = (await accepted.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, ct))!.Id;
            await Eventually.HoldsAsync(
                async () => (await client.GetFromJsonAsync<RequestStatusDocument>($"/requests/{id}", Infrastructure.Pipeline.JsonOptions, ct))!.Status == RequestStatus.Succeeded,
                () => "The request accepted once the Api had migrated did not succeed.",
                TimeSpan.FromSeconds(60));
        }

        await using var db = pipeline.CreateDbContext();
        Assert.Equal(1, await db.Requests.CountAsync(ct));
    }
}
