namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Group commit: items submitted while a batch's statement is in flight wait and go together in the
/// next one, as soon as the writer is free (no linger, so a lone item goes at once). Items submitted
/// together go in one statement, so a caller's items succeed or fail together. Each caller awaits only
/// its own items' results, set once <paramref name="writeBatch"/> returned, that is once the statement
/// that served them has committed.
/// </summary>
/// <param name="writeBatch">Writes a batch in one statement; returns one result per item, in the items' order.</param>
/// <param name="maxBatch">The most items one statement takes, unless a single submission brings more.</param>
public sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> writeBatch, int maxBatch)
{
    private readonly Lock _gate = new();
    private readonly List<Pending[]> _pending = [];
    private bool _writing;

    public Task<TResult> SubmitAsync(TItem item) => SubmitAll([item])[0];

    /// <summary>Submits <paramref name="items"/> together: they go in one statement.</summary>
    public IReadOnlyList<Task<TResult>> SubmitAll(IReadOnlyList<TItem> items)
    {
        if (items.Count == 0)
        {
            return [];
        }

        Pending[] submitted = [.. items.Select(item => new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously)))];
        bool startWriting;
        lock (_gate)
        {
            _pending.Add(submitted);
            startWriting = !_writing;
            _writing = true;
        }

        if (startWriting)
        {
            // A batch's statement serves many requests, so it joins none of their traces.
            using var untraced = BackgroundTracing.Suppress();
            _ = Task.Run(WriteAsync);
        }

        return [.. submitted.Select(p => p.Result.Task)];
    }

    private async Task WriteAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _writing = false;
                    return;
                }

                var submissions = 1;
                var size = _pending[0].Length;
                while (submissions < _pending.Count && size + _pending[submissions].Length <= maxBatch)
                {
                    size += _pending[submissions++].Length;
                }

                batch = [.. _pending[..submissions].SelectMany(s => s)];
                _pending.RemoveRange(0, submissions);
            }

            try
            {
                var results = await writeBatch([.. batch.Select(p => p.Item)]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.SetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                {
                    pending.Result.SetException(e);
                }
            }
        }
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Result);
}
