namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// Waits for a condition by checking it every 50 ms until a deadline (60 s unless told), then fails with
/// what never happened: the tests wait on what they expect, never for a fixed time. The failure message
/// is built only then, so it can show the state at the deadline.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(60);

    public static Task HoldsAsync(Func<bool> condition, Func<string> failure, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), failure, timeout);

    public static async Task HoldsAsync(Func<Task<bool>> condition, Func<string> failure, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail(failure());
            }

            await Task.Delay(s_interval, CancellationToken.None);
        }
    }
}
