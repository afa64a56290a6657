using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Faults;

public sealed class OutboxMarkFailureTests(TestServers servers)
{
    [Fact]
    public async Task A_committed_request_is_accepted_even_when_its_outbox_mark_cannot_be_cleared_and_runs_once()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        await using (var db = pipeline.CreateDbContext())
        {
            // Clearing the mark is the only write that sets published_at; make it fail as a restarting server would.
            await db.Database.ExecuteSqlRawAsync(
                """
                CREATE FUNCTION refuse_publish_mark() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the database system is starting up' USING ERRCODE = '57P03';
                END $$;
                CREATE TRIGGER refuse_publish_mark BEFORE UPDATE OF published_at ON requests
                    FOR EACH ROW WHEN (NEW.published_at IS NOT NULL) EXECUTE FUNCTION refuse_publish_mark();
                """,
                TestContext.Current.CancellationToken);
        }

        using var response = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 4, num2 = 5 } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        var done = await pipeline.WaitForTerminalAsync(accepted!.Id);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal(20, done.Result!.Value.GetProperty("product").GetDouble());
        Assert.Single(done.History, h => h.Status == RequestStatus.Processing);
        Assert.Single(done.History, h => h.Status == RequestStatus.Succeeded);
        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(1, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
        }
    }
}
