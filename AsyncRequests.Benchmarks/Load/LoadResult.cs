namespace AsyncRequests.Benchmarks.Load;

/// <summary>What a load generator measured over one run; latencies in milliseconds.</summary>
public sealed record LoadResult(
    long Requests,
    double Seconds,
    double P50Ms,
    double P99Ms,
    long Non2xx,
    long SocketErrors,
    double GeneratorCpuSeconds)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;

    /// <summary>The generator's CPU as a share of the whole machine over the run (1 = every core busy).</summary>
    public double GeneratorMachineShare => Seconds > 0 ? GeneratorCpuSeconds / (Seconds * Environment.ProcessorCount) : 0;
}

/// <summary>How a fixed set of submissions went: accepted (202), retried after a 503, or failed otherwise (the first failure says how).</summary>
public sealed record SubmitResult(long Accepted, long RetriedAfter503, long Failed, string? FirstFailure)
{
    /// <summary>The 202s by the base address that answered them, in the order the load generator was given them.</summary>
    public IReadOnlyList<long> AcceptedByTarget { get; init; } = [];
}
