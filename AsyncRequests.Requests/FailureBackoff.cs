namespace AsyncRequests.Requests;

/// <summary>
/// How long a background loop waits before its next try: its usual interval, doubled for each
/// failure in a row up to <see cref="Max"/>, so a lasting fault is retried (and logged) twice a minute
/// rather than on every tick.
/// </summary>
public static class FailureBackoff
{
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    public static TimeSpan After(int failures, TimeSpan interval) =>
        failures == 0 ? interval : TimeSpan.FromTicks(Math.Min(Max.Ticks, interval.Ticks * (1L << Math.Min(failures, 30))));
}
