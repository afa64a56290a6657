using AsyncRequests.Api.Requests;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// Batches in flight side by side. A test holds a batch back with a row it inserted under the batch's
/// idempotency key and has not committed: the batch's statement waits for that transaction, so the test
/// decides when the batch can commit, and sees which callers are answered meanwhile.
/// </summary>
public sealed class PipelinedSubmissionTests(TestServers servers)
{
    // Generous: on a starved machine a batch may take long; only a missing answer reaches this.
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string?> s_twoInFlight = new() { ["Requests:MaxBatchesInFlight"] = "2" };

    [Fact]
    public async Task A_later_batch_commits_while_an_earlier_one_is_held_and_no_caller_is_answered_before_its_own_batch_commits()
    {
        await using var host = await SubmissionWriterHost.CreateAsync(servers, s_twoInFlight);
        await using var gate = await KeyGate.HoldAsync(host, "held");
        var held = SubmissionWriterHost.NewRequest(num1: 1, key: "held");
        var heldAnswer = AnswerThenReadAsync(host, held.Id, host.Writer.TryEnqueue(held)!);
        await host.StartAsync();
        await gate.WaitUntilBatchesWaitAsync(1);

        var later = SubmissionWriterHost.NewRequest(num1: 2, key: null);
        var (laterOutcome, laterStored) = await AnswerThenReadAsync(host, later.Id, host.Writer.TryEnqueue(later)!).WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(later.Id, Assert.IsType<SubmissionOutcome.Accepted>(laterOutcome).Request.Id);
        Assert.True(laterStored, "The later request was answered before a new connection could read it.");
        Assert.False(heldAnswer.IsCompleted, "The held batch's caller was answered before its batch committed.");
        Assert.False(await IsStoredAsync(host, held.Id));

        await gate.ReleaseAsync();
        var (heldOutcome, heldStored) = await heldAnswer.WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(held.Id, Assert.IsType<SubmissionOutcome.Accepted>(heldOutcome).Request.Id);
        Assert.True(heldStored, "The held request was answered before a new connection could read it.");
    }

    [Fact]
    public async Task The_same_idempotency_key_in_two_batches_in_flight_stores_one_request_and_replays_it_to_the_other_caller()
    {
        await using var host = await SubmissionWriterHost.CreateAsync(servers, s_twoInFlight);
        await using var gate = await KeyGate.HoldAsync(host, "raced");
        var first = SubmissionWriterHost.NewRequest(num1: 1, key: "raced");
        var second = SubmissionWriterHost.NewRequest(num1: 1, key: "raced");
        var firstAnswer = host.Writer.TryEnqueue(first)!;
        await host.StartAsync();
        await gate.WaitUntilBatchesWaitAsync(1);
        var secondAnswer = host.Writer.TryEnqueue(second)!;
        await gate.WaitUntilBatchesWaitAsync(2);

        await gate.ReleaseAsync();
        var answers = await Task.WhenAll(firstAnswer, secondAnswer).WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken);

        var accepted = Assert.Single(answers.OfType<SubmissionOutcome.Accepted>()).Request.Id;
        Assert.Contains(accepted, new[] { first.Id, second.Id });
        Assert.Equal(accepted, Assert.Single(answers.OfType<SubmissionOutcome.Replayed>()).Request.Id);
        await using var db = await host.CreateDbContextAsync();
        Assert.Equal([accepted], await db.Requests.Where(r => r.IdempotencyKey == "raced").Select(r => r.Id).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_batch_whose_connection_is_killed_fails_only_its_own_callers_while_another_batch_in_flight_commits()
    {
        await using var host = await SubmissionWriterHost.CreateAsync(servers, s_twoInFlight);
        await using var victimGate = await KeyGate.HoldAsync(host, "victim");
        await using var bystanderGate = await KeyGate.HoldAsync(host, "bystander");
        var victim = SubmissionWriterHost.NewRequest(num1: 1, key: "victim");
        var victimAnswer = host.Writer.TryEnqueue(victim)!;
        await host.StartAsync();
        await victimGate.WaitUntilBatchesWaitAsync(1);
        var bystander = SubmissionWriterHost.NewRequest(num1: 2, key: "bystander");
        var bystanderAnswer = host.Writer.TryEnqueue(bystander)!;
        await bystanderGate.WaitUntilBatchesWaitAsync(1);

        Assert.Equal(1, await victimGate.TerminateWaitingBatchesAsync());

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => victimAnswer.WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken));
        Assert.False(bystanderAnswer.IsCompleted, "The other batch's caller was answered before its batch committed.");
        await bystanderGate.ReleaseAsync();
        Assert.Equal(bystander.Id, Assert.IsType<SubmissionOutcome.Accepted>(await bystanderAnswer.WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken)).Request.Id);
        Assert.False(await IsStoredAsync(host, victim.Id));

        // The writer lost nothing but the killed batch: the key is free again once the gate lets go.
        await victimGate.ReleaseAsync();
        var retry = SubmissionWriterHost.NewRequest(num1: 1, key: "victim");
        Assert.Equal(retry.Id, Assert.IsType<SubmissionOutcome.Accepted>(await host.Writer.TryEnqueue(retry)!.WaitAsync(s_answerTimeout, TestContext.Current.CancellationToken)).Request.Id);
    }

    /// <summary>The caller's answer, and whether a new connection read the request right when it arrived.</summary>
    private static async Task<(SubmissionOutcome Outcome, bool Stored)> AnswerThenReadAsync(SubmissionWriterHost host, Guid id, Task<SubmissionOutcome> answer)
    {
        var outcome = await answer;
        return (outcome, await IsStoredAsync(host, id));
    }

    private static async Task<bool> IsStoredAsync(SubmissionWriterHost host, Guid id)
    {
        await using var db = await host.CreateDbContextAsync();
        return await db.Requests.AnyAsync(r => r.Id == id, TestContext.Current.CancellationToken);
    }

    /// <summary>An uncommitted row holding an idempotency key: every batch storing that key waits until it is released.</summary>
    private sealed class KeyGate : IAsyncDisposable
    {
        // The statements waiting for this gate's transaction: the batches it holds back.
        private const string WaitingSql = "FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))";

        private readonly SubmissionWriterHost _host;
        private readonly RequestsDbContext _db;
        private readonly IDbContextTransaction _transaction;
        private readonly int _processId;
        private bool _released;

        private KeyGate(SubmissionWriterHost host, RequestsDbContext db, IDbContextTransaction transaction)
        {
            _host = host;
            _db = db;
            _transaction = transaction;
            _processId = ((NpgsqlConnection)db.Database.GetDbConnection()).ProcessID;
        }

        public static async Task<KeyGate> HoldAsync(SubmissionWriterHost host, string key)
        {
            var db = await host.CreateDbContextAsync();
            var transaction = await db.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
            db.Requests.Add(SubmissionWriterHost.NewRequest(num1: 0, key: key));
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            return new KeyGate(host, db, transaction);
        }

        public Task WaitUntilBatchesWaitAsync(int count)
        {
            var waiting = 0L;
            return Eventually.HoldsAsync(
                async () => (waiting = await CountWaitingAsync("SELECT count(*) " + WaitingSql)) >= count,
                () => $"{count} batch(es) should wait for the gate; {waiting} did.");
        }

        /// <summary>Kills the connections of the batches held back; returns how many.</summary>
        public Task<long> TerminateWaitingBatchesAsync() => CountWaitingAsync("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) " + WaitingSql);

        /// <summary>Rolls the row back, so the held batches store the key.</summary>
        public async Task ReleaseAsync()
        {
            if (!_released)
            {
                _released = true;
                await _transaction.RollbackAsync(CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await _transaction.DisposeAsync();
            await _db.DisposeAsync();
        }

        private async Task<long> CountWaitingAsync(string sql)
        {
            await using var command = _host.DataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = _processId });
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        }
    }
}
