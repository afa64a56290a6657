using AsyncRequests.Benchmarks.Load;
using AsyncRequests.Benchmarks.Systems;

namespace AsyncRequests.Benchmarks.Reporting;

public sealed record BenchmarkResult(
    BenchmarkSettings Settings,
    MachineInfo Machine,
    IReadOnlyList<SystemRun> Runs,
    IReadOnlyList<FloorResult> Floor)
{
    /// <summary>Every scenario of every run: each accepted request succeeded exactly once, nothing left unfinished.</summary>
    public bool AllCorrect => Runs.All(run => run.Correct);

    /// <summary>The fewest valid authentication passes of one kind (with or without a key) per connection count that the comparison needs.</summary>
    public const int MinValidAuthenticationPasses = 2;

    /// <summary>
    /// Whether the authentication comparison, if it ran, has at least <see cref="MinValidAuthenticationPasses"/> valid
    /// passes of each kind at each connection count, over all repetitions.
    /// </summary>
    public bool AuthenticationComparable =>
        Runs.SelectMany(run => run.Authentication ?? [])
            .GroupBy(pass => (pass.Connections, pass.WithClientKey))
            .All(kind => kind.Count(pass => pass.Valid) >= MinValidAuthenticationPasses);
}

public sealed record MachineInfo(int Cores, string OperatingSystem, string PostgresVersion, string? Commit, DateTimeOffset StartedAt, string LoadGenerator);

/// <summary>One repetition of one system: every scenario on one fresh instance.</summary>
public sealed record SystemRun(
    string System,
    int Repetition,
    LoadResult? GeneratorCeiling,
    IReadOnlyList<AcceptResult> Accept,
    EndToEndResult EndToEnd,
    LightLoadResult LightLoad,
    IReadOnlyList<ProcessUsage> Processes,
    BacklogResult Backlog,
    OutageResult? Outage,
    IReadOnlyList<AuthenticationPass>? Authentication)
{
    /// <summary>The statements, counted in a pass of their own; null where the server has no <c>pg_stat_statements</c>.</summary>
    public StatementCount? Statements { get; init; }

    /// <summary>
    /// Nothing lost or duplicated: every stored request succeeded exactly once, and no fewer succeeded than were
    /// accepted. A submission that failed at the client (no answer in time) may still have been stored; it then
    /// counts like any other.
    /// </summary>
    public bool Correct =>
        Accept.All(a => a.Outcomes is { Duplicated: 0, NotSucceeded: 0 })
        && EndToEnd.Lost == 0 && EndToEnd.Outcomes is { Duplicated: 0, NotSucceeded: 0 }
        && LightLoad.Lost == 0 && LightLoad.Outcomes is { Duplicated: 0, NotSucceeded: 0 }
        && Backlog.Lost == 0 && Backlog.Outcomes is { Duplicated: 0, NotSucceeded: 0 }
        && (Outage is null || (Outage.Lost == 0 && Outage.Outcomes is { Duplicated: 0, NotSucceeded: 0 }))
        && (Authentication is null || Authentication.All(p => p.Lost == 0))
        && (Statements is null || Statements.Outcomes is { Duplicated: 0, NotSucceeded: 0 });

    public long Lost =>
        Accept.Sum(a => a.Outcomes.NotSucceeded) + EndToEnd.Lost + LightLoad.Lost + Backlog.Lost + (Outage?.Lost ?? 0)
        + (Authentication?.Sum(p => p.Lost) ?? 0) + (Statements?.Outcomes.NotSucceeded ?? 0);

    public long Duplicated =>
        Accept.Sum(a => a.Outcomes.Duplicated) + EndToEnd.Outcomes.Duplicated + LightLoad.Outcomes.Duplicated
        + Backlog.Outcomes.Duplicated + (Outage?.Outcomes.Duplicated ?? 0) + (Statements?.Outcomes.Duplicated ?? 0);
}

public sealed record AcceptResult(int Connections, LoadResult Load, Outcomes Outcomes);

/// <summary>
/// One accept pass of the authentication comparison, <see cref="Order"/> its place in the sequence; each submit sent
/// a client key, or none (the anonymous client). The workers were stopped, so only <see cref="Stored"/> is checked:
/// every answered submit except the non-2xx ones must have been stored. <see cref="ApiCpuSeconds"/>: the Api's CPU over
/// the pass and until it had stored and sent what the pass submitted, a figure that a busy machine disturbs far less
/// than the rate. <see cref="RequestsAtStart"/> and <see cref="MessagesAtStart"/>: what the table and the queue held
/// when the pass began (each pass starts on both empty).
/// </summary>
public sealed record AuthenticationPass(
    int Connections, int Order, bool WithClientKey, LoadResult Load, long Stored, double ApiCpuSeconds, long RequestsAtStart, long MessagesAtStart)
{
    public long Lost => Math.Max(0, Load.Requests - Load.Non2xx - Stored);

    public double ApiCpuMsPerRequest => Stored > 0 ? ApiCpuSeconds / Stored * 1000 : double.NaN;

    /// <summary>
    /// Every submit got a 2xx and no socket failed: a refused submit (backpressure, a full queue, a quota) costs the Api
    /// far less than an accepted one, so a pass with any measures refusals, not accepting, and its figures do not count.
    /// </summary>
    public bool Valid => Load is { Non2xx: 0, SocketErrors: 0 };
}

public sealed record EndToEndResult(
    int Requests,
    SubmitResult Submitted,
    Outcomes Outcomes,
    double CompletionSpanSeconds,
    double CpuSeconds)
{
    /// <summary>What PostgreSQL did over the scenario; see <see cref="PostgresWork"/>.</summary>
    public PostgresWork? Postgres { get; init; }

    /// <summary>Accepted requests whose success was not recorded exactly once, and stored ones that did not succeed.</summary>
    public long Lost => Math.Max(0, Submitted.Accepted - Outcomes.SucceededOnce) + Outcomes.NotSucceeded;

    public double CompletionsPerSecond => CompletionSpanSeconds > 0 ? Outcomes.SucceededOnce / CompletionSpanSeconds : 0;

    /// <summary>CPU of every process of the system (PostgreSQL and the SQS emulator included) per 1,000 requests.</summary>
    public double CpuSecondsPer1000 => Requests > 0 ? CpuSeconds / Requests * 1000 : 0;
}

public sealed record LightLoadResult(
    SubmitResult Submitted,
    Outcomes Outcomes,
    double StartP50Ms,
    double StartP99Ms,
    double DoneP50Ms,
    double DoneP99Ms)
{
    public long Lost => Math.Max(0, Submitted.Accepted - Outcomes.SucceededOnce) + Outcomes.NotSucceeded;
}

/// <summary>
/// Requests accepted with the workers stopped, then the workers started: seconds from their start (the process
/// launched) to the first and to the last completion, and the CPU-seconds each process used over that drain.
/// </summary>
public sealed record BacklogResult(
    SubmitResult Submitted,
    Outcomes Outcomes,
    double FirstCompletionSeconds,
    double LastCompletionSeconds,
    IReadOnlyDictionary<string, double> CpuSeconds)
{
    public long Lost => Math.Max(0, Submitted.Accepted - Outcomes.SucceededOnce) + Outcomes.NotSucceeded;

    public double CompletionsPerSecond => LastCompletionSeconds > 0 ? Outcomes.SucceededOnce / LastCompletionSeconds : 0;

    /// <summary>CPU of one process (or, without a name, of all) per 1,000 drained requests.</summary>
    public double CpuSecondsPer1000(string? process = null)
    {
        var cpu = process is null ? CpuSeconds.Values.Sum() : CpuSeconds.GetValueOrDefault(process);
        return Outcomes.Stored > 0 ? cpu / Outcomes.Stored * 1000 : 0;
    }
}

/// <summary>
/// Requests submitted at a steady rate while the SQS emulator was stopped; <see cref="UnfinishedAtReturn"/> of them
/// were not done when it came back, and the last completed <see cref="RecoverySeconds"/> after it answered again.
/// </summary>
public sealed record OutageResult(SubmitResult Submitted, Outcomes Outcomes, long UnfinishedAtReturn, double RecoverySeconds)
{
    public long Lost => Math.Max(0, Submitted.Accepted - Outcomes.SucceededOnce) + Outcomes.NotSucceeded;
}

/// <summary>
/// PostgreSQL's work over a scenario: the server's CPU-seconds, the WAL it wrote (server-wide, autovacuum included),
/// and the statements run in the system's database with those run most often (null and empty where the server
/// has no <c>pg_stat_statements</c>).
/// </summary>
public sealed record PostgresWork(double CpuSeconds, long WalBytes, long? Statements, IReadOnlyList<StatementCalls> MostRun)
{
    public double CpuMsPer(long requests) => requests > 0 ? CpuSeconds / requests * 1000 : double.NaN;

    public double WalBytesPer(long requests) => requests > 0 ? (double)WalBytes / requests : double.NaN;

    public double StatementsPer(long requests) => requests > 0 && Statements is { } statements ? (double)statements / requests : double.NaN;
}

/// <summary>
/// The end-to-end scenario once more, after the measured scenarios and on the same instance, with
/// <c>pg_stat_statements</c> tracking: <see cref="Pass"/> is PostgreSQL's work over it, statements included (its CPU
/// carries the tracking's cost, the measured scenarios' does not). <see cref="TrackedOutside"/>: the statements
/// tracked in the system's database over the whole run outside that pass, zero when tracking was off in every other one.
/// <see cref="Outcomes"/>: the pass's requests, each of which must succeed exactly once like any other scenario's.
/// </summary>
public sealed record StatementCount(PostgresWork Pass, long TrackedOutside, Outcomes Outcomes);

/// <summary>A statement as <c>pg_stat_statements</c> normalizes it (shortened), and how often it ran.</summary>
public sealed record StatementCalls(string Query, long Calls);

/// <summary>Peak memory over the standard scenarios (up to light load) and CPU over the end-to-end scenario, per process.</summary>
public sealed record ProcessUsage(string Name, bool IsService, double PeakMemoryMiB, double EndToEndCpuSeconds);

/// <summary>pgbench: one-row INSERT of a uuid and a small jsonb, prepared, on the same server.</summary>
public sealed record FloorResult(int Repetition, int Clients, double TransactionsPerSecond);
