namespace AsyncRequests.Benchmarks;

/// <summary>
/// One status line, rewritten in place on a terminal (phase, seconds in it, requests sent, detail);
/// elsewhere each phase is one plain line.
/// </summary>
public sealed class Progress(TextWriter output, bool interactive)
{
    private readonly Lock _lock = new();
    private string _phase = "";
    private long _phaseStarted = Environment.TickCount64;
    private long _requests;

    public static Progress ForConsole() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Extra words after the counters, e.g. how much backlog is left.</summary>
    public string Detail { get; set; } = "";

    public void Phase(string phase)
    {
        lock (_lock)
        {
            _phase = phase;
            _phaseStarted = Environment.TickCount64;
            Detail = "";
            Interlocked.Exchange(ref _requests, 0);
            if (!interactive)
            {
                output.WriteLine(phase);
            }
        }

        Tick();
    }

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public void Tick()
    {
        if (!interactive)
        {
            return;
        }

        lock (_lock)
        {
            var seconds = (Environment.TickCount64 - _phaseStarted) / 1000;
            var requests = Interlocked.Read(ref _requests);
            var line = $"{_phase} · {seconds} s" + (requests > 0 ? $" · {requests:N0} requests" : "") + (Detail.Length > 0 ? $" · {Detail}" : "");
            output.Write("\r" + line.PadRight(110));
        }
    }

    /// <summary>Ends the status line so that what follows starts on a fresh one.</summary>
    public void Finish()
    {
        if (interactive)
        {
            output.WriteLine();
        }
    }
}
