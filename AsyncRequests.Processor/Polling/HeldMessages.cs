using System.Threading.Channels;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// The messages one poller holds, and its handler slots: received messages wait in a small buffer until
/// a slot (and every one of their groups' concurrency limits) allows, then run until settled. Every held
/// message is kept hidden by the heartbeat; one that is let go is no longer held. The buffer holds at most
/// the slots' worth plus one receive's worth of messages that could start, and up to
/// <see cref="HeldBackPerSlot"/> per slot of messages their groups hold back.
/// </summary>
internal sealed class HeldMessages(int maxConcurrency, Func<ConcurrencyGroup, int> concurrencyLimitOf, TimeProvider time)
{
    /// <summary>
    /// Messages held back by a group's limit stay here, hidden, rather than go back to the queue (where each
    /// receive would count towards the dead-letter queue); holding this many per slot lets a poller reach past
    /// one client's or type's backlog to the messages queued behind it. Beyond that, the rest waits in the queue.
    /// </summary>
    public const int HeldBackPerSlot = 8;

    private readonly Lock _gate = new();
    private readonly List<InFlightMessage> _buffer = [];
    private readonly Dictionary<ConcurrencyGroup, int> _runningPerGroup = [];
    private readonly HashSet<InFlightMessage> _held = [];
    private readonly Channel<bool> _slotFreed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _allSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private bool _stopping;

    /// <summary>Completes once stopping and no handler runs any more.</summary>
    public Task AllSettled => _allSettled.Task;

    /// <summary>
    /// Waits until a handler slot is free that no buffered message will take, and the messages held back by
    /// their groups' limits leave room for a whole receive: only then is a receive worth its wait. Without
    /// that room, a client or type at its limit (by default it leaves one slot to the others) would make
    /// every receive bring messages that could neither start nor stay, and they would cycle through the queue.
    /// </summary>
    public async Task WaitForIdleSlotAsync(CancellationToken stopping)
    {
        while (true)
        {
            lock (_gate)
            {
                var startable = _buffer.Count(CanStart);
                if (startable < maxConcurrency - _running && _buffer.Count - startable <= HeldBackPerSlot * maxConcurrency)
                {
                    return;
                }
            }

            await _slotFreed.Reader.ReadAsync(stopping);
        }
    }

    /// <summary>Buffers what a receive brought; false (nothing taken) once stopping.</summary>
    public bool TryBuffer(List<InFlightMessage> received)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return false;
            }

            _held.UnionWith(received);
            _buffer.AddRange(received);
            return true;
        }
    }

    /// <summary>Takes every buffered message a free slot and its groups' limits allow, oldest first, and counts them as running.</summary>
    public List<InFlightMessage> TakeStartable()
    {
        var starting = new List<InFlightMessage>();
        lock (_gate)
        {
            for (var i = 0; i < _buffer.Count && _running < maxConcurrency && !_stopping;)
            {
                var message = _buffer[i];
                if (!CanStart(message))
                {
                    i++;
                    continue;
                }

                _buffer.RemoveAt(i);
                _running++;
                foreach (var group in message.ConcurrencyGroups)
                {
                    _runningPerGroup[group] = _runningPerGroup.GetValueOrDefault(group) + 1;
                }

                starting.Add(message);
            }
        }

        return starting;
    }

    /// <summary>A running message was settled: its slot is free again.</summary>
    public void Settled(InFlightMessage message)
    {
        lock (_gate)
        {
            _held.Remove(message);
            _running--;
            foreach (var group in message.ConcurrencyGroups)
            {
                _runningPerGroup[group]--;
            }

            if (_stopping && _running == 0)
            {
                _allSettled.TrySetResult();
            }
        }

        _slotFreed.Writer.TryWrite(true);
    }

    /// <summary>Starts nothing more; returns the buffered messages (to hand back) and how many run.</summary>
    public (List<InFlightMessage> Unstarted, int Running) Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            var unstarted = _buffer.ToList();
            _buffer.Clear();
            if (_running == 0)
            {
                _allSettled.TrySetResult();
            }

            return (unstarted, _running);
        }
    }

    /// <summary>Buffered messages that could run but found no free slot for <paramref name="waitedLongerThan"/>: another instance may have one.</summary>
    public List<InFlightMessage> TakeStale(TimeSpan waitedLongerThan)
    {
        lock (_gate)
        {
            var stale = _buffer.Where(m => CanStart(m) && time.GetElapsedTime(m.ReceivedAt) > waitedLongerThan).ToList();
            _buffer.RemoveAll(stale.Contains);
            return stale;
        }
    }

    /// <summary>No longer held: the heartbeat stops keeping them hidden.</summary>
    public void Release(IEnumerable<InFlightMessage> messages)
    {
        lock (_gate)
        {
            _held.ExceptWith(messages);
        }
    }

    /// <summary>The held messages whose visibility the heartbeat extends.</summary>
    public List<InFlightMessage> ToKeepHidden()
    {
        lock (_gate)
        {
            return [.. _held.Where(m => !m.Abandoned)];
        }
    }

    private bool CanStart(InFlightMessage message) =>
        message.ConcurrencyGroups.All(group => _runningPerGroup.GetValueOrDefault(group) < concurrencyLimitOf(group));
}
