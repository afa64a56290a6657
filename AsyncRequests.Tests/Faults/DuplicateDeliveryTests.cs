using AsyncRequests.Requests.Queue;
using AsyncRequests.Tests.Infrastructure;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

public sealed class DuplicateDeliveryTests(TestServers servers)
{
    [Fact]
    public async Task The_same_message_delivered_twice_runs_the_handler_once()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = "3",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 9, num2 = 9, delayMs = 500 });
        var queueUrl = (await pipeline.Sqs.GetQueueUrlAsync(pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        await pipeline.Sqs.SendMessageAsync(queueUrl, new RequestMessage(id, "multiply").ToJson(), TestContext.Current.CancellationToken);

        pipeline.StartProcessor();

        var done = await pipeline.WaitForTerminalAsync(id);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded], (await pipeline.GetAsync(id)).History.Select(h => h.Status));
    }

    [Fact]
    public async Task A_duplicate_claimed_while_the_holder_moves_the_request_back_to_pending_does_not_fail_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 6, num2 = 7 });

        // Worker A is this connection. It holds the request (attempt 1, live lease) and an advisory lock
        // that stops any other session right after its next UPDATE of the table: worker B's claim,
        // which finds the request held.
        await using var workerA = new NpgsqlConnection(pipeline.Settings["ConnectionStrings:requestsdb"]);
        await workerA.OpenAsync(ct);
        await ExecuteAsync(workerA, "UPDATE requests SET status = 'processing', attempts = 1, lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '10 seconds'", ct);
        await ExecuteAsync(
            workerA,
            """
            CREATE FUNCTION pause_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_lock(42);
                PERFORM pg_advisory_unlock(42);
                RETURN NULL;
            END $$;
            CREATE TRIGGER pause_after_update AFTER UPDATE ON requests FOR EACH STATEMENT EXECUTE FUNCTION pause_after_update();
            SELECT pg_advisory_lock(42);
            """,
            ct);

        pipeline.StartProcessor();
        await using (var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", workerA))
        {
            while ((long)(await waiting.ExecuteScalarAsync(ct))! == 0)
            {
                await Task.Delay(50, ct);
            }
        }

        // B has claimed nothing and has not decided yet: A now moves the request back to pending for a
        // transient retry, and lets B go on.
        await ExecuteAsync(workerA, "UPDATE requests SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL; SELECT pg_advisory_unlock(42);", ct);

        // B leaves the duplicate for later and then finishes the request on attempt 2.
        var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal(2, done.Attempts);
        Assert.DoesNotContain(done.History, h => h.Status == RequestStatus.Failed);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
