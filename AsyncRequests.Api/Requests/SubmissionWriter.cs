using System.Threading.Channels;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// Group commit for submissions. Callers queue their request; one writer stores everything queued so
/// far in one statement (the rows, and their first history entries) and hands each caller its own
/// outcome. The next batch starts as soon as a writer is free, so a lone request waits for no one, and
/// up to <see cref="SubmissionOptions.MaxBatchesInFlight"/> batches are written at once, each on its own
/// connection, so the next batch goes in while the previous one commits. Callers are answered once their
/// own batch has committed: each row carries its outbox mark, so from then
/// on the relay owns any message the sender does not get out. The sender sends the stored batches
/// meanwhile, so a 202 waits for the database only, never for SQS.
/// </summary>
public sealed partial class SubmissionWriter : BackgroundService
{
    // ON CONFLICT skips a row whose idempotency key is taken (by an earlier request, or by an
    // earlier row of the same batch) without failing the others; RETURNING tells which rows went in.
    private const string InsertSql =
        """
        WITH inserted AS (
            INSERT INTO requests (id, type, input, status, progress_percent, attempts, created_at, updated_at,
                                  trace_parent, trace_state, idempotency_key, request_hash, callback_url, cancel_requested, client_id)
            SELECT id, type, input::jsonb, 'pending', 0, 0, created_at, created_at,
                   trace_parent, trace_state, idempotency_key, request_hash, callback_url, false, client_id
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
                 AS s(id, type, input, created_at, trace_parent, trace_state, idempotency_key, request_hash, callback_url, client_id)
            ON CONFLICT (client_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id, created_at
        ), history AS (
            INSERT INTO status_changes (request_id, status, at, attempt, detail)
            SELECT id, 'pending', created_at, 0, 'submitted' FROM inserted
        )
        SELECT id FROM inserted
        """;

    // Keys are per client: the pairs are matched as the unique index matches them.
    private const string FindByKeysSql =
        """
        SELECT r.id, r.type, r.input::text, r.created_at, r.idempotency_key, r.request_hash, r.client_id
        FROM requests r
        JOIN unnest($1::text[], $2::text[]) AS k(client_id, idempotency_key)
          ON r.client_id = k.client_id AND r.idempotency_key = k.idempotency_key
        """;

    // Ten SendMessageBatch calls at once, and one statement to clear their marks.
    private const int MaxMessagesPerSend = 10 * RequestPublisher.MaxEntriesPerCall;

    // Senders work side by side, so that while one waits for a slow SQS answer the next takes what was stored
    // meanwhile: a sender's pace is MaxMessagesPerSend per SQS round trip, and the writer's is not bounded by it.
    private const int Senders = 4;

    private readonly NpgsqlDataSource _dataSource;
    private readonly RequestPublisher _publisher;
    private readonly RelayHandoffs _handoffs;
    private readonly ILogger<SubmissionWriter> _logger;
    private readonly int _maxBatchSize;
    private readonly int _maxBatchesInFlight;
    private readonly Channel<Submission> _submissions;
    private readonly Channel<Submission[]> _stored;

    public SubmissionWriter(
        NpgsqlDataSource dataSource, RequestPublisher publisher, RelayHandoffs handoffs, IOptions<SubmissionOptions> options, ILogger<SubmissionWriter> logger)
    {
        _dataSource = dataSource;
        _publisher = publisher;
        _handoffs = handoffs;
        _logger = logger;
        _maxBatchSize = options.Value.MaxBatchSize;
        _maxBatchesInFlight = options.Value.MaxBatchesInFlight;

        // Bounded, so that overload is answered with 503 at once instead of queueing for a connection.
        _submissions = Channel.CreateBounded<Submission>(new BoundedChannelOptions(options.Value.MaxQueuedSubmissions) { SingleReader = _maxBatchesInFlight == 1 });
        _stored = Channel.CreateBounded<Submission[]>(new BoundedChannelOptions(options.Value.MaxQueuedSubmissions) { SingleWriter = _maxBatchesInFlight == 1 });
    }

    /// <summary>Queues a request to be stored; null when the queue is full (or the service is stopping).</summary>
    public Task<SubmissionOutcome>? TryEnqueue(AsyncRequest request)
    {
        var submission = new Submission(request);
        return _submissions.Writer.TryWrite(submission) ? submission.Outcome.Task : null;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Finish what was queued: the callers are waiting for it.
        _submissions.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A batch's statements serve many requests, so they join none of their traces; each message's
        // send span still joins its own request's trace.
        using var untraced = BackgroundTracing.Suppress();
        return Task.WhenAll(Enumerable.Range(0, Senders)
            .Select(_ => Task.Run(SendAllAsync, CancellationToken.None))
            .Append(Task.Run(WriteAllAsync, CancellationToken.None)));
    }

    private async Task WriteAllAsync()
    {
        await Task.WhenAll(Enumerable.Range(0, _maxBatchesInFlight).Select(_ => WriteBatchesAsync()));
        _stored.Writer.TryComplete();
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new List<Submission>(_maxBatchSize);
        while (await _submissions.Reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatchSize && _submissions.Reader.TryRead(out var submission))
            {
                batch.Add(submission);
            }

            // Another writer may have taken what woke this one.
            if (batch.Count == 0)
            {
                continue;
            }

            RequestTelemetry.SubmissionBatchSize.Record(batch.Count);
            var stored = await WriteAsync(batch);
            foreach (var submission in stored)
            {
                submission.Outcome.TrySetResult(new SubmissionOutcome.Accepted(submission.Request));
            }

            // A full send queue means SQS is far behind: the relay sends what does not fit.
            if (stored.Length > 0 && !_stored.Writer.TryWrite(stored))
            {
                _handoffs.RecordQueueFull(stored.Length);
            }

            batch.Clear();
        }
    }

    // Sends run to the end even while stopping: each is bounded by Outbox:SendTimeoutSeconds. Whatever was
    // stored meanwhile goes out together, in full SendMessageBatch calls, so the sender keeps up with the writer.
    private async Task SendAllAsync()
    {
        var messages = new List<OutboxMessage>(MaxMessagesPerSend);
        while (await _stored.Reader.WaitToReadAsync())
        {
            while (messages.Count < MaxMessagesPerSend && _stored.Reader.TryRead(out var stored))
            {
                messages.AddRange(stored.Select(s => s.Message));
            }

            try
            {
                await _publisher.PublishAsync(messages, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogPublishFailed(_logger, messages.Count, e);
            }

            messages.Clear();
        }
    }

    /// <summary>Stores one batch and answers the callers whose request was not stored; returns the stored ones, to send.</summary>
    private async Task<Submission[]> WriteAsync(List<Submission> batch)
    {
        HashSet<Guid> inserted;
        try
        {
            inserted = await InsertAsync(batch);
        }
        catch (PostgresException e) when (batch.Count > 1 && !DatabaseErrors.IsUnavailable(e))
        {
            // One request the database refuses must not fail the others: store each on its own.
            var each = new List<Submission>();
            foreach (var submission in batch)
            {
                each.AddRange(await WriteAsync([submission]));
            }

            return [.. each];
        }
        catch (Exception e)
        {
            foreach (var submission in batch)
            {
                submission.Outcome.TrySetException(e);
            }

            return [];
        }

        foreach (var submission in batch.Where(s => inserted.Contains(s.Request.Id)))
        {
            RequestTelemetry.Submitted.Add(1, new KeyValuePair<string, object?>(RequestTelemetry.Tags.RequestType, submission.Request.Type));
        }

        var notInserted = batch.Where(s => !inserted.Contains(s.Request.Id)).ToList();
        if (notInserted.Count > 0)
        {
            await AnswerConflictsAsync(notInserted);
        }

        return [.. batch.Where(s => inserted.Contains(s.Request.Id))];
    }

    /// <summary>Answers submits whose idempotency key was taken: a replay of the earlier request, or 422.</summary>
    private async Task AnswerConflictsAsync(List<Submission> conflicting)
    {
        try
        {
            var earlier = await FindEarlierAsync(conflicting);
            foreach (var submission in conflicting)
            {
                var request = submission.Request;
                if (request.IdempotencyKey is not null && earlier.TryGetValue((request.ClientId, request.IdempotencyKey), out var winner))
                {
                    submission.Outcome.TrySetResult(winner.RequestHash == request.RequestHash
                        ? new SubmissionOutcome.Replayed(winner)
                        : new SubmissionOutcome.KeyReused());
                }
                else
                {
                    submission.Outcome.TrySetException(new InvalidOperationException("The conflicting idempotent request vanished."));
                }
            }
        }
        catch (Exception e)
        {
            foreach (var submission in conflicting)
            {
                submission.Outcome.TrySetException(e);
            }
        }
    }

    private async Task<HashSet<Guid>> InsertAsync(List<Submission> batch)
    {
        // Batches in flight together take their idempotency keys in one order, so two that hold the same keys
        // wait for each other instead of deadlocking; the sort is stable, so within a batch the first caller wins.
        var requests = batch.Select(s => s.Request)
            .OrderBy(r => r.ClientId, StringComparer.Ordinal)
            .ThenBy(r => r.IdempotencyKey, StringComparer.Ordinal)
            .ToArray();
        await using var command = _dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.Type).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.Input).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.CreatedAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.TraceParent).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.TraceState).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.IdempotencyKey).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.RequestHash).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.CallbackUrl).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.ClientId).ToArray() });

        var inserted = new HashSet<Guid>(requests.Length);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            inserted.Add(reader.GetGuid(0));
        }

        return inserted;
    }

    /// <summary>The requests that hold the keys of the rows that were not inserted.</summary>
    private async Task<Dictionary<(string ClientId, string Key), AsyncRequest>> FindEarlierAsync(List<Submission> conflicting)
    {
        var keys = conflicting
            .Where(s => s.Request.IdempotencyKey is not null)
            .Select(s => (s.Request.ClientId, Key: s.Request.IdempotencyKey!))
            .Distinct()
            .ToArray();
        await using var command = _dataSource.CreateCommand(FindByKeysSql);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.ClientId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Key).ToArray() });
        var earlier = new Dictionary<(string ClientId, string Key), AsyncRequest>(keys.Length);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var request = new AsyncRequest
            {
                Id = reader.GetGuid(0),
                Type = reader.GetString(1),
                Input = reader.GetString(2),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(3),
                IdempotencyKey = reader.GetString(4),
                RequestHash = await reader.IsDBNullAsync(5) ? null : reader.GetString(5),
                ClientId = reader.GetString(6),
            };
            earlier[(request.ClientId, request.IdempotencyKey)] = request;
        }

        return earlier;
    }

    private sealed record Submission(AsyncRequest Request)
    {
        public TaskCompletionSource<SubmissionOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public OutboxMessage Message => new(Request.Id, Request.Type, Request.ClientId, Request.TraceParent, Request.TraceState);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} stored requests failed; the outbox relay will send them")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);
}
