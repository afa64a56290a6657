namespace AsyncRequests.Processor.Processing;

public static class RetryBackoff
{
    /// <summary>
    /// Capped exponential backoff with jitter: the cap keeps late attempts from waiting for hours, the
    /// jitter (between half and all of the step) keeps failed requests from coming back in lockstep.
    /// </summary>
    public static TimeSpan For(int attempt, ProcessorOptions options)
    {
        var step = Math.Min(options.RetryMaxDelaySeconds, options.RetryBaseDelaySeconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        return TimeSpan.FromSeconds(step * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
