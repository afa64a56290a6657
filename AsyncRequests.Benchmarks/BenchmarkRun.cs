using System.Runtime.InteropServices;
using AsyncRequests.Benchmarks.Load;
using AsyncRequests.Benchmarks.Measurement;
using AsyncRequests.Benchmarks.Reporting;
using AsyncRequests.Benchmarks.Systems;
using AsyncRequests.LocalServers;
using Npgsql;

namespace AsyncRequests.Benchmarks;

/// <summary>
/// Runs every scenario on AsyncRequests and on the Hangfire baseline, alternately (the order flips each
/// repetition so that neither always runs on a warmer machine), each repetition on fresh instances and
/// databases of the one PostgreSQL server and the one SQS emulator. Where the server has <c>pg_stat_statements</c>,
/// the run loads it first (restarting the server) to count statements, with tracking off but in a counting pass of
/// its own, so that no measured figure carries what tracking costs per statement.
/// </summary>
public sealed class BenchmarkRun(BenchmarkSettings settings, PostgresServer postgres, SqsServer sqs, Progress progress)
{
    private const string PostgresName = "PostgreSQL";
    private static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(250);

    // wrk stops with requests in flight that the server still stores; they must land before the next scenario starts.
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);

    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly string _logDirectory = Directory.CreateTempSubdirectory("asyncrequests-benchmark-").FullName;
    private bool _countStatements;

    public async Task<BenchmarkResult> RunAsync(CancellationToken ct)
    {
        _countStatements = await PostgresStatements.EnableAsync(postgres, ct);
        if (!_countStatements)
        {
            progress.Phase("pg_stat_statements not found (it comes with the PostgreSQL server package): statements are not counted");
        }

        var machine = await DescribeMachineAsync(ct);
        var pgbench = settings.FloorDuration > TimeSpan.Zero ? Floor.FindPgbench(postgres) : null;
        if (settings.FloorDuration > TimeSpan.Zero && pgbench is null)
        {
            progress.Phase("pgbench not found (it comes with the PostgreSQL server package): the floor is skipped");
        }

        var runs = new List<SystemRun>();
        var floor = new List<FloorResult>();
        for (var repetition = 1; repetition <= settings.Repetitions; repetition++)
        {
            bool[] oursInOrder = repetition % 2 == 1 ? [true, false] : [false, true];
            foreach (var ours in oursInOrder)
            {
                runs.Add(await RunSystemAsync(ours, repetition, ct));
            }

            if (pgbench is not null)
            {
                progress.Phase($"[{repetition}/{settings.Repetitions}] floor: pgbench one-row INSERT at {string.Join(" and ", Floor.Clients)} clients");
                floor.AddRange(await Floor.RunAsync(postgres, pgbench, $"floor_{_runId}_{repetition}", repetition, settings.FloorDuration, ct));
            }
        }

        progress.Finish();
        Directory.Delete(_logDirectory, recursive: true);
        return new BenchmarkResult(settings, machine, runs, floor);
    }

    private async Task<SystemRun> RunSystemAsync(bool ours, int repetition, CancellationToken ct)
    {
        var instance = $"bench_{_runId}_{(ours ? "ours" : "peer")}_{repetition}";
        var label = $"[{repetition}/{settings.Repetitions}] {(ours ? "AsyncRequests" : "Hangfire.PostgreSql")}";
        progress.Phase($"{label}: starting");
        await using ISystemUnderTest system = ours
            ? await AsyncRequestsSystem.StartAsync(postgres, sqs, instance, settings.Instances, _logDirectory, settings.WithClientKey, settings.ProcessorAot, ct)
            : await HangfireSystem.StartAsync(postgres, instance, settings.Instances, _logDirectory, ct);
        await using var memory = new MemorySampler(postgres.ReadServerProcessId(), progress);
        // One connection per sender of the largest closed loop this loader runs: the warm-up, an accept level or end to end.
        using var load = new HttpLoad(
            system.BaseAddresses, new[] { settings.WarmUpConnections, settings.EndToEndConcurrency, settings.AcceptConnections.Max() }.Max(), progress);

        LoadResult? ceiling = null;
        if (settings.CalibrationDuration > TimeSpan.Zero)
        {
            progress.Phase($"{label}: load generator ceiling (GET /alive, 32 connections)");
            ceiling = await GenerateLoadAsync(system, load, "/alive", post: false, 32, settings.CalibrationDuration, bearerToken: null, ct);
        }

        if (settings.WarmUpDuration > TimeSpan.Zero)
        {
            // Until the JIT has compiled the hot paths, the first seconds measure start-up, not the system.
            await system.BeginScenarioAsync(ct);
            progress.Phase($"{label}: warming up ({settings.WarmUpDuration.TotalSeconds:0} s at {settings.WarmUpConnections} connections)");
            await load.RunForAsync("/requests", post: true, settings.WarmUpConnections, settings.WarmUpDuration, ct);
            await DrainAsync(system, $"{label}: warming up, draining", afterTimedLoad: true, ct);
        }

        var accept = new List<AcceptResult>();
        foreach (var connections in settings.AcceptConnections)
        {
            await system.BeginScenarioAsync(ct);
            progress.Phase($"{label}: accept, {connections} connections");
            var result = await GenerateLoadAsync(system, load, "/requests", post: true, connections, settings.AcceptDuration, bearerToken: null, ct);
            await DrainAsync(system, $"{label}: accept, {connections} connections, draining", afterTimedLoad: true, ct);
            accept.Add(new AcceptResult(connections, result, await system.ReadOutcomesAsync(ct)));
        }

        await system.BeginScenarioAsync(ct);
        progress.Phase($"{label}: end to end, {settings.EndToEndRequests:N0} requests at concurrency {settings.EndToEndConcurrency}");
        var postgresBefore = await PostgresStatements.ReadAsync(postgres, instance, countStatements: false, ct);
        var cpuBefore = ReadCpu(system);
        var submitted = await load.SubmitAsync(settings.EndToEndRequests, settings.EndToEndConcurrency, ct);
        await DrainAsync(system, $"{label}: end to end, draining", afterTimedLoad: false, ct);
        var cpu = ReadCpu(system).ToDictionary(p => p.Key, p => p.Value - cpuBefore[p.Key]);
        var postgresWork = (await PostgresStatements.ReadAsync(postgres, instance, countStatements: false, ct)).Since(postgresBefore, cpu[PostgresName]);
        var endToEnd = new EndToEndResult(
            settings.EndToEndRequests, submitted, await system.ReadOutcomesAsync(ct), await system.ReadCompletionSpanSecondsAsync(ct), cpu.Values.Sum())
        {
            Postgres = postgresWork,
        };

        await system.BeginScenarioAsync(ct);
        progress.Phase($"{label}: light load, {settings.LightLoadRatePerSecond} req/s for {settings.LightLoadDuration.TotalSeconds} s");
        var light = await load.SubmitAtRateAsync(settings.LightLoadRatePerSecond, settings.LightLoadDuration, ct);
        await DrainAsync(system, $"{label}: light load, draining", afterTimedLoad: false, ct);
        var latencies = await system.ReadLatenciesAsync(ct);
        var starts = latencies.Select(l => l.StartMs).ToArray();
        var dones = latencies.Select(l => l.DoneMs).ToArray();
        var lightLoad = new LightLoadResult(
            light,
            await system.ReadOutcomesAsync(ct),
            Statistics.Percentile(starts, 50),
            Statistics.Percentile(starts, 99),
            Statistics.Percentile(dones, 50),
            Statistics.Percentile(dones, 99));

        var usage = system.Processes
            .Select(p => new ProcessUsage(p.Name, p.IsService, ProcessStats.PeakRssMiB(p.Id), cpu[p.Name]))
            .Append(new ProcessUsage(PostgresName, IsService: false, memory.PostgresPeakMiB, cpu[PostgresName]))
            .ToList();

        // After the usage figures, so that none of them carries the tracking's cost.
        (PostgresWork Work, Outcomes Outcomes)? counting = _countStatements ? await RunCountingPassAsync(system, load, instance, label, ct) : null;

        // Last, after the usage figures: these scenarios restart processes and pause the SQS emulator.
        var backlog = await RunBacklogAsync(system, label, ct);
        var outage = ours ? await RunOutageAsync(system, load, label, ct) : null;
        // Last of all: it stops the workers for good, and deletes every request the run stored.
        var authentication = system is AsyncRequestsSystem { ClientKey: { } key } withKeys
            ? await RunAuthenticationCostAsync(withKeys, load, key, label, ct)
            : null;
        StatementCount? statements = null;
        if (counting is { } pass)
        {
            // Whatever else the database's counters hold at the end was tracked outside the counting pass.
            var atEnd = await PostgresStatements.ReadAsync(postgres, instance, countStatements: true, ct);
            statements = new StatementCount(pass.Work, atEnd.Calls!.Value - pass.Work.Statements!.Value, pass.Outcomes);
        }

        return new SystemRun(system.Name, repetition, ceiling, accept, endToEnd, lightLoad, usage, backlog, outage, authentication)
        {
            Statements = statements,
        };
    }

    /// <summary>
    /// The end-to-end scenario once more, with statement tracking on: the statements it runs, and PostgreSQL's CPU with
    /// the tracking's cost.
    /// </summary>
    private async Task<(PostgresWork Work, Outcomes Outcomes)> RunCountingPassAsync(
        ISystemUnderTest system, HttpLoad load, string instance, string label, CancellationToken ct)
    {
        await system.BeginScenarioAsync(ct);
        progress.Phase($"{label}: counting statements, {settings.EndToEndRequests:N0} requests at concurrency {settings.EndToEndConcurrency}");
        // The statements are read outside the switches, so that the count holds every statement tracked (the system's
        // idle polling while tracking switches too); the CPU is read inside them, over the pass alone.
        var before = await PostgresStatements.ReadAsync(postgres, instance, countStatements: true, ct);
        await PostgresStatements.TrackAsync(postgres, on: true, ct);
        var cpuBefore = ProcessStats.CpuSecondsOfTree(postgres.ReadServerProcessId());
        await load.SubmitAsync(settings.EndToEndRequests, settings.EndToEndConcurrency, ct);
        await DrainAsync(system, $"{label}: counting statements, draining", afterTimedLoad: false, ct);
        var cpu = ProcessStats.CpuSecondsOfTree(postgres.ReadServerProcessId()) - cpuBefore;
        await PostgresStatements.TrackAsync(postgres, on: false, ct);
        var work = (await PostgresStatements.ReadAsync(postgres, instance, countStatements: true, ct)).Since(before, cpu);
        return (work, await system.ReadOutcomesAsync(ct));
    }

    /// <summary>
    /// Accept passes without and with a client key on equal terms: the same instance, the workers stopped (so no
    /// drain runs beside a pass and none has to be waited for), each pass after a warm-up of its own kind, in the
    /// order A B B A A B B A, so that neither kind always runs on a warmer process.
    /// </summary>
    private async Task<IReadOnlyList<AuthenticationPass>> RunAuthenticationCostAsync(
        AsyncRequestsSystem system, HttpLoad anonymous, string key, string label, CancellationToken ct)
    {
        await system.StopWorkersAsync(ct);
        using var keyed = new HttpLoad(system.BaseAddress, settings.AcceptConnections.Max(), progress, key);
        bool[] withKeyInOrder = [false, true, true, false, false, true, true, false];
        var passes = new List<AuthenticationPass>();
        foreach (var connections in settings.AcceptConnections)
        {
            for (var order = 1; order <= withKeyInOrder.Length; order++)
            {
                var withKey = withKeyInOrder[order - 1];
                var pass = $"{label}: authentication cost, {connections} connections, pass {order}/{withKeyInOrder.Length} {(withKey ? "with a client key" : "without a key")}";
                var token = withKey ? key : null;
                var load = withKey ? keyed : anonymous;
                if (settings.PassWarmUpDuration > TimeSpan.Zero)
                {
                    await ClearAsync(system, $"{pass}, clearing", ct);
                    await system.BeginScenarioAsync(ct);
                    progress.Phase($"{pass}, warming up");
                    await GenerateLoadAsync(system, load, "/requests", post: true, connections, settings.PassWarmUpDuration, token, ct);
                    await SettleAsync(system, $"{pass}, warming up, settling", ct);
                    await WaitUntilSentAsync(system, $"{pass}, warming up, sending", ct);
                }

                // With the workers stopped every pass stores requests that stay pending. Left in place, they made later
                // passes run on a fuller table and queue than earlier ones, and once more than
                // Backpressure:MaxWaitingRequests of them were older than Backpressure:WaitingAgeSeconds, every submit
                // was refused with 503. Each measured pass therefore starts on an empty table and queue: the same state
                // for every pass, and its own requests only, all younger than the waiting age while it runs. Raising the
                // Api's backpressure limits instead would have kept the refusals away but not the unequal tables.
                await ClearAsync(system, $"{pass}, clearing", ct);
                var (requestsAtStart, messagesAtStart) = await system.CountEverythingAsync(ct);
                await system.BeginScenarioAsync(ct);
                progress.Phase(pass);
                var cpuBefore = ReadCpu(system)["Api"];
                var result = await GenerateLoadAsync(system, load, "/requests", post: true, connections, settings.AcceptDuration, token, ct);
                var stored = await SettleAsync(system, $"{pass}, settling", ct);
                await WaitUntilSentAsync(system, $"{pass}, sending", ct);
                passes.Add(new AuthenticationPass(
                    connections, order, withKey, result, stored, ReadCpu(system)["Api"] - cpuBefore, requestsAtStart, messagesAtStart));
            }
        }

        return passes;
    }

    private async Task ClearAsync(AsyncRequestsSystem system, string phase, CancellationToken ct)
    {
        progress.Phase(phase);
        await system.ClearRequestsAsync(ct);
    }

    /// <summary>
    /// Waits until the Api has sent the message of every request stored since the last
    /// <see cref="ISystemUnderTest.BeginScenarioAsync"/>, or the drain timeout passes: so that a pass's sends count in
    /// its own CPU, and none is still under way when the next load starts.
    /// </summary>
    private async Task WaitUntilSentAsync(AsyncRequestsSystem system, string phase, CancellationToken ct)
    {
        progress.Phase(phase);
        var deadline = DateTime.UtcNow + settings.DrainTimeout;
        while (await system.CountUnsentAsync(ct) is var unsent and > 0 && DateTime.UtcNow < deadline)
        {
            progress.Detail = $"{unsent:N0} not yet sent to the queue";
            await Task.Delay(DrainPollInterval, ct);
        }
    }

    /// <summary>
    /// A backlog built with the workers stopped, then drained: from the moment the workers are started (their
    /// process launched) to the first and the last completion. CPU is counted from the same moment, so a worker
    /// process's start-up is part of it, and so is whatever the accepting side still does for the backlog.
    /// </summary>
    private async Task<BacklogResult> RunBacklogAsync(ISystemUnderTest system, string label, CancellationToken ct)
    {
        progress.Phase($"{label}: backlog, {settings.BacklogRequests:N0} requests with the workers stopped");
        await system.StopWorkersAsync(ct);
        await system.BeginScenarioAsync(ct);
        SubmitResult submitted;
        // Stopping Hangfire's workers restarts its app on a new port.
        using (var load = new HttpLoad(system.BaseAddresses, settings.EndToEndConcurrency, progress))
        {
            submitted = await load.SubmitAsync(settings.BacklogRequests, settings.EndToEndConcurrency, ct);
        }

        var started = DateTimeOffset.UtcNow;
        var cpuBefore = ReadCpuByProcessId(system);
        await system.StartWorkersAsync(ct);
        await DrainAsync(system, $"{label}: backlog, workers started, draining", afterTimedLoad: false, ct);
        // By process id: a process started for the drain (a Processor, the restarted Hangfire app) counts from zero.
        var cpu = ReadCpuByProcessId(system).ToDictionary(p => p.Key.Name, p => p.Value - cpuBefore.GetValueOrDefault(p.Key));
        var (first, last) = await system.ReadCompletionTimesAsync(ct);
        return new BacklogResult(submitted, await system.ReadOutcomesAsync(ct), (first - started).TotalSeconds, (last - started).TotalSeconds, cpu);
    }

    /// <summary>
    /// Requests keep coming at a steady rate while the SQS emulator is paused (SIGSTOP: connections hang, nothing is
    /// answered, every send times out); once it answers again, the time until the last of them has been sent and processed.
    /// </summary>
    private async Task<OutageResult> RunOutageAsync(ISystemUnderTest system, HttpLoad load, string label, CancellationToken ct)
    {
        await system.BeginScenarioAsync(ct);
        progress.Phase(
            $"{label}: SQS outage, {settings.OutageRatePerSecond} req/s with the emulator paused for {settings.OutageDuration.TotalSeconds} s");
        var submitting = load.SubmitAtRateAsync(settings.OutageRatePerSecond, settings.OutageDuration, ct);
        await sqs.PauseAsync(ct);
        await Task.Delay(settings.OutageDuration, ct);
        await sqs.ResumeAsync(ct);
        var returned = DateTimeOffset.UtcNow;
        var unfinishedAtReturn = await system.CountUnfinishedAsync(ct);
        var submitted = await submitting;
        await DrainAsync(system, $"{label}: SQS outage, emulator back, draining", afterTimedLoad: false, ct);
        var (_, last) = await system.ReadCompletionTimesAsync(ct);
        return new OutageResult(submitted, await system.ReadOutcomesAsync(ct), unfinishedAtReturn, (last - returned).TotalSeconds);
    }

    /// <summary><paramref name="bearerToken"/> goes to wrk; the in-process <paramref name="load"/> brings its own.</summary>
    private Task<LoadResult> GenerateLoadAsync(
        ISystemUnderTest system, HttpLoad load, string path, bool post, int connections, TimeSpan duration, string? bearerToken, CancellationToken ct) =>
        settings.UseWrk
            ? WrkSpread.RunAsync([.. system.BaseAddresses.Select(a => new Uri(a, path))], connections, duration, post ? HttpLoad.MultiplyBody : null, bearerToken, ct)
            : load.RunForAsync(path, post, connections, duration, ct);

    /// <summary>
    /// Waits until every request of the scenario is terminal (after a timed load, also until no new one has been
    /// stored for a quiet period), or the drain timeout passes (what is left then shows as not succeeded).
    /// </summary>
    private async Task DrainAsync(ISystemUnderTest system, string phase, bool afterTimedLoad, CancellationToken ct)
    {
        progress.Phase(phase);
        var deadline = DateTime.UtcNow + settings.DrainTimeout;
        var stored = -1L;
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var unfinished = await system.CountUnfinishedAsync(ct);
            var nowStored = await system.CountStoredAsync(ct);
            if (nowStored != stored || unfinished > 0)
            {
                quietSince = DateTime.UtcNow;
                stored = nowStored;
            }
            else if (!afterTimedLoad || DateTime.UtcNow - quietSince >= QuietPeriod)
            {
                return;
            }

            progress.Detail = $"{unfinished:N0} unfinished";
            await Task.Delay(DrainPollInterval, ct);
        }
    }

    /// <summary>
    /// With the workers stopped nothing finishes, so this waits only until the requests still in flight when the
    /// load stopped have been stored (none for a quiet period); it returns how many the scenario stored.
    /// </summary>
    private async Task<long> SettleAsync(ISystemUnderTest system, string phase, CancellationToken ct)
    {
        progress.Phase(phase);
        var stored = await system.CountStoredAsync(ct);
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < QuietPeriod)
        {
            await Task.Delay(DrainPollInterval, ct);
            var nowStored = await system.CountStoredAsync(ct);
            if (nowStored != stored)
            {
                stored = nowStored;
                quietSince = DateTime.UtcNow;
            }
        }

        return stored;
    }

    /// <summary>CPU-seconds so far of each of the system's processes and of the whole PostgreSQL server.</summary>
    private Dictionary<string, double> ReadCpu(ISystemUnderTest system) =>
        ReadCpuByProcessId(system).ToDictionary(p => p.Key.Name, p => p.Value);

    private Dictionary<NamedProcess, double> ReadCpuByProcessId(ISystemUnderTest system) =>
        system.Processes
            .Append(new NamedProcess(PostgresName, postgres.ReadServerProcessId(), IsService: false))
            .ToDictionary(p => p, p => ProcessStats.CpuSecondsOfTree(p.Id));

    private async Task<MachineInfo> DescribeMachineAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionStringFor("postgres"));
        await connection.OpenAsync(ct);
        var commit = await TryRunAsync("git", ["rev-parse", "--short", "HEAD"], ct);
        var dirty = await TryRunAsync("git", ["status", "--porcelain", "--untracked-files=no"], ct);
        return new MachineInfo(
            Environment.ProcessorCount,
            RuntimeInformation.OSDescription,
            connection.PostgreSqlVersion.ToString(),
            commit is null ? null : commit.Trim() + (string.IsNullOrWhiteSpace(dirty) ? "" : " (with uncommitted changes)"),
            DateTimeOffset.UtcNow,
            settings.UseWrk ? "wrk" : "in-process HTTP loop");
    }

    private static async Task<string?> TryRunAsync(string command, string[] arguments, CancellationToken ct)
    {
        try
        {
            return await ChildProcess.RunAsync(command, arguments, AppContext.BaseDirectory, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// Samples the PostgreSQL server's memory every second (the sum of its processes' PSS; the services'
    /// own peaks come from VmHWM at the end) and refreshes the progress line.
    /// </summary>
    private sealed class MemorySampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;

        public MemorySampler(int postgresId, Progress progress) =>
            _sampling = Task.Run(() => SampleAsync(postgresId, progress, _stop.Token));

        public double PostgresPeakMiB { get; private set; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            _stop.Dispose();
        }

        private async Task SampleAsync(int postgresId, Progress progress, CancellationToken ct)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                do
                {
                    var total = ProcessStats.ChildrenOf(postgresId).Append(postgresId).Sum(ProcessStats.ProportionalSetSizeMiB);
                    PostgresPeakMiB = Math.Max(PostgresPeakMiB, total);
                    progress.Tick();
                }
                while (await timer.WaitForNextTickAsync(ct));
            }
            catch (OperationCanceledException)
            {
                // Disposed: the run is over.
            }
        }
    }
}
