using System.Globalization;
using System.Runtime.InteropServices;
using AsyncRequests.LocalServers;

namespace AsyncRequests.Benchmarks.Systems;

/// <summary>
/// A service of this repository run as its own process from its build output, in Production with
/// logging at Warning, on a free loopback port; ready once its health endpoint answers.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly ChildProcess _process;

    private AppProcess(ChildProcess process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public static async Task<AppProcess> StartAsync(
        string project, IReadOnlyDictionary<string, string> settings, string logDirectory, string healthPath, CancellationToken ct, bool nativeAot = false)
    {
        // Where dotnet publish -r <this machine's runtime identifier> puts a Native AOT build.
        var directory = nativeAot ? Path.Combine(OutputDirectoryOf(project), RuntimeInformation.RuntimeIdentifier, "publish") : OutputDirectoryOf(project);
        var executable = Path.Combine(directory, project);
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(nativeAot
                ? $"{executable} does not exist: publish it first (dotnet publish {project} -c Release -r {RuntimeInformation.RuntimeIdentifier})."
                : $"{executable} does not exist: build the solution in this configuration first.");
        }

        var port = FreePort.Next();
        var environment = new Dictionary<string, string>(settings)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var log = Path.Combine(logDirectory, $"{project}-{port}.log");
        var app = new AppProcess(ChildProcess.Start(executable, [], directory, log, environment), new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await app.WaitUntilHealthyAsync(healthPath, log, ct);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <paramref name="count"/> processes side by side; if one does not start, stops the others and rethrows.</summary>
    public static async Task<IReadOnlyList<AppProcess>> StartManyAsync(int count, Func<Task<AppProcess>> start)
    {
        var starting = Enumerable.Range(0, count).Select(_ => start()).ToList();
        try
        {
            return await Task.WhenAll(starting);
        }
        catch
        {
            // WhenAll throws only once every start has ended, so the ones that succeeded are all here.
            await DisposeAllAsync(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            throw;
        }
    }

    public static Task DisposeAllAsync(IEnumerable<AppProcess> processes) =>
        Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));

    /// <summary>
    /// The output folder of another project of this repository, built in the same configuration and for the
    /// same framework as the running assembly: the same path below that project as this one's below its own.
    /// </summary>
    public static string OutputDirectoryOf(string project)
    {
        var baseDirectory = AppContext.BaseDirectory;
        for (var directory = new DirectoryInfo(baseDirectory); directory.Parent is { } parent; directory = parent)
        {
            if (File.Exists(Path.Combine(parent.FullName, "AsyncRequests.sln")))
            {
                return Path.Combine(parent.FullName, project, Path.GetRelativePath(directory.FullName, baseDirectory));
            }
        }

        throw new InvalidOperationException($"No AsyncRequests.sln above {baseDirectory}: run the benchmark from the repository.");
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    private async Task WaitUntilHealthyAsync(string healthPath, string log, CancellationToken ct)
    {
        var health = new Uri(BaseAddress, healthPath);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!_process.HasExited && DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await Probe.GetAsync(health, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                // Not listening or not ready yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }

        throw new InvalidOperationException(
            $"{Path.GetFileNameWithoutExtension(log)} did not become healthy on {health} "
            + $"({(_process.HasExited ? "it exited" : $"no answer within {StartTimeout.TotalSeconds} s")}). Log:\n{ChildProcess.Tail(log)}");
    }
}
