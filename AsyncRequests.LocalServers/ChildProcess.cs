using System.Diagnostics;

namespace AsyncRequests.LocalServers;

/// <summary>A server process started by a test or the benchmark, with its output appended to a log file.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TextWriter _log;
    private readonly List<string> _lines;

    private ChildProcess(Process process, TextWriter log, List<string> lines)
    {
        _process = process;
        _log = log;
        _lines = lines;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL, as in a crash: none of the process's shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as an orchestrator stopping it: waits for the graceful exit and returns the exit code.</summary>
    public async Task<int> TerminateAsync(CancellationToken ct)
    {
        await SignalTerminateAsync(ct);
        await _process.WaitForExitAsync(ct);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM without waiting for the process to exit.</summary>
    public Task SignalTerminateAsync(CancellationToken ct) => SignalAsync(_process.Id, "TERM", ct);

    /// <summary>Sends a signal (<c>STOP</c>, <c>CONT</c>, <c>TERM</c>...) to any process, as <c>kill -SIGNAL pid</c> does.</summary>
    public static Task SignalAsync(int processId, string signal, CancellationToken ct) =>
        RunAsync("kill", [$"-{signal}", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)], Environment.CurrentDirectory, ct);

    /// <summary>Waits until the process has written a line that <paramref name="matches"/> and returns it; fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> matches, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            lock (_lines)
            {
                if (_lines.FirstOrDefault(matches) is { } line)
                {
                    return line;
                }
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"The process did not write the expected line within {timeout}.");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    public static ChildProcess Start(
        string fileName,
        string[] arguments,
        string workingDirectory,
        string logPath,
        IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = CreateStartInfo(fileName, arguments, workingDirectory);
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        // stdout and stderr events arrive on different threads.
        var log = TextWriter.Synchronized(new StreamWriter(logPath, append: true) { AutoFlush = true });
        var process = new Process { StartInfo = startInfo };
        var lines = new List<string>();
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                log.WriteLine(e.Data);
                lock (lines)
                {
                    lines.Add(e.Data);
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            log.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, log, lines);
    }

    /// <summary>Kills the process and everything it started, then waits for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        await _log.DisposeAsync();
    }

    /// <summary>Runs a command to completion and returns its output, or throws with that output if it fails.</summary>
    public static async Task<string> RunAsync(
        string fileName, string[] arguments, string workingDirectory, CancellationToken ct)
    {
        using var process = Process.Start(CreateStartInfo(fileName, arguments, workingDirectory))!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', arguments)}' exited with code {process.ExitCode}:\n{output}");
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The last lines of a log file that may still be being written.</summary>
    public static string Tail(string path, int lines = 50)
    {
        if (!File.Exists(path))
        {
            return "(no log written)";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return string.Join('\n', reader.ReadToEnd().TrimEnd().Split('\n').TakeLast(lines));
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, string[] arguments, string workingDirectory) =>
        new(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
}
