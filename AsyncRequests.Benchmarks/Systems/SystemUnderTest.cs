namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// One running system (AsyncRequests or the Hangfire baseline) on its own database. Every read covers the
/// requests submitted since the last <see cref="BeginScenarioAsync"/>, which is how scenarios of one
/// instance are told apart.
/// </summary>
public interface ISystemUnderTest : IAsyncDisposable
{
    string Name { get; }

    /// <summary>
    /// Where <c>POST /requests</c> with a multiply body is accepted, and <c>/alive</c> answers; it may change when
    /// the workers are stopped or started.
    /// </summary>
    Uri BaseAddress { get; }

    /// <summary>Every process that accepts <c>POST /requests</c>, <see cref="BaseAddress"/> first: the load is spread over them.</summary>
    IReadOnlyList<Uri> BaseAddresses => [BaseAddress];

    /// <summary>The system's own processes by name (the shared PostgreSQL server is measured separately).</summary>
    IReadOnlyList<NamedProcess> Processes { get; }

    Task BeginScenarioAsync(CancellationToken ct);

    /// <summary>Requests of this scenario stored so far.</summary>
    Task<long> CountStoredAsync(CancellationToken ct);

    /// <summary>Requests of this scenario that have not yet reached a terminal state.</summary>
    Task<long> CountUnfinishedAsync(CancellationToken ct);

    Task<Outcomes> ReadOutcomesAsync(CancellationToken ct);

    /// <summary>Accept → handler start and accept → done, in milliseconds, of each succeeded request.</summary>
    Task<IReadOnlyList<(double StartMs, double DoneMs)>> ReadLatenciesAsync(CancellationToken ct);

    /// <summary>Seconds from the first accept to the last completion.</summary>
    Task<double> ReadCompletionSpanSecondsAsync(CancellationToken ct);

    /// <summary>When the first and the last request of this scenario completed, as the system recorded it.</summary>
    Task<(DateTimeOffset First, DateTimeOffset Last)> ReadCompletionTimesAsync(CancellationToken ct);

    /// <summary>Stops whatever runs the work (the Processor; Hangfire's workers), leaving submissions accepted.</summary>
    Task StopWorkersAsync(CancellationToken ct);

    /// <summary>Starts the work again after <see cref="StopWorkersAsync"/>; returns once the system answers.</summary>
    Task StartWorkersAsync(CancellationToken ct);
}

/// <summary>A process of a system; <paramref name="IsService"/> is false for shared infrastructure such as the SQS emulator.</summary>
public sealed record NamedProcess(string Name, int Id, bool IsService = true)
{
    /// <summary>A process's name in the results: its role, numbered from 1 when the role runs in several processes.</summary>
    public static string NameOf(string role, int index, int count) => count == 1 ? role : $"{role} {index + 1}";
}

/// <summary>
/// What became of a scenario's requests, from the system's own records: the handler's success recorded
/// once (<see cref="SucceededOnce"/>), more than once (<see cref="Duplicated"/>), or not at all.
/// </summary>
public sealed record Outcomes(long Stored, long SucceededOnce, long Duplicated, long NotSucceeded, long ProcessedMoreThanOnce);
