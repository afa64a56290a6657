using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;

namespace AsyncRequests.LocalServers;

/// <summary>A local SQS-protocol server (<see cref="SqsEmulator"/>) on 127.0.0.1 for a test or the benchmark.</summary>
public sealed class SqsServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    // Short, so that a hung probe does not delay noticing that fauxqs exited.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(1) };

    private readonly string _emulatorDirectory;
    private readonly string _root;
    private readonly bool _persistent;
    private ChildProcess? _process;

    private SqsServer(string emulatorDirectory, string root, int port, bool persistent)
    {
        _emulatorDirectory = emulatorDirectory;
        _root = root;
        _persistent = persistent;
        ServiceUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri ServiceUrl { get; }

    public string Region => SqsEmulator.Region;

    /// <summary>The emulator's process, while it runs.</summary>
    public int? ProcessId => _process?.Id;

    private string LogPath => Path.Combine(_root, "fauxqs.log");

    /// <summary>
    /// Starts fauxqs and returns once it answers. A <paramref name="persistent"/> server keeps its
    /// queues and messages in SQLite, so they survive <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>.
    /// </summary>
    public static async Task<SqsServer> StartAsync(bool persistent = false, CancellationToken ct = default)
    {
        var emulatorDirectory = await EnsureInstalledAsync(ct);
        var root = Directory.CreateTempSubdirectory("asyncrequests-sqs-").FullName;
        var server = new SqsServer(emulatorDirectory, root, FreePort.Next(), persistent);
        try
        {
            await server.LaunchAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public Task StartAgainAsync(CancellationToken ct = default) => LaunchAsync(ct);

    /// <summary>Kills the server, as in a crash; a non-persistent server loses all its queues.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public IAmazonSQS CreateClient() => new AmazonSQSClient(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = ServiceUrl.ToString(), AuthenticationRegion = Region });

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private async Task LaunchAsync(CancellationToken ct)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("fauxqs is already running.");
        }

        var environment = SqsEmulator.Environment(_persistent ? Path.Combine(_root, "data") : null);
        environment[SqsEmulator.PortVariable] = ServiceUrl.Port.ToString(CultureInfo.InvariantCulture);
        _process = ChildProcess.Start(
            SqsEmulator.NodePath(_emulatorDirectory),
            SqsEmulator.Arguments(_emulatorDirectory),
            _emulatorDirectory,
            LogPath,
            environment);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        var answered = false;
        try
        {
            answered = await AnswersAsync(_process, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Timed out: reported below.
        }
        finally
        {
            if (!answered)
            {
                await StopAsync();
            }
        }

        if (!answered)
        {
            throw new InvalidOperationException(
                $"fauxqs did not start on {ServiceUrl}: it exited or gave no answer within {StartTimeout.TotalSeconds} s. "
                + $"Log:\n{ChildProcess.Tail(LogPath)}");
        }
    }

    /// <summary>Polls the health endpoint until it answers (true) or the process exits (false).</summary>
    private async Task<bool> AnswersAsync(ChildProcess process, CancellationToken ct)
    {
        var health = new Uri(ServiceUrl, "health");
        while (!process.HasExited)
        {
            try
            {
                using var response = await Http.GetAsync(health, ct);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                // Not answering yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }

        return false;
    }

    /// <summary>Runs npm ci in tools/sqs-emulator unless its packages are already installed.</summary>
    private static async Task<string> EnsureInstalledAsync(CancellationToken ct)
    {
        var directory = SqsEmulator.FindDirectory();
        await InstallLock.WaitAsync(ct);
        try
        {
            if (!SqsEmulator.IsInstalled(directory))
            {
                var npm = ChildProcess.FindOnPath("npm") ?? throw new InvalidOperationException(
                    "npm not found on PATH; it installs the SQS emulator in tools/sqs-emulator. Install Node.js and npm (apt-get install npm).");
                await ChildProcess.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], directory, ct);
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return directory;
    }
}
