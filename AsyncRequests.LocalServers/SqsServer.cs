using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace AsyncRequests.LocalServers;

/// <summary>A local SQS-protocol server (<see cref="SqsEmulator"/>) on 127.0.0.1 for a test or the benchmark.</summary>
public sealed class SqsServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    // Short, so that a hung probe does not delay noticing that fauxqs exited.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(1) };

    private static readonly string[] s_settableAttributes =
    [
        QueueAttributeName.VisibilityTimeout, QueueAttributeName.RedrivePolicy, QueueAttributeName.DelaySeconds,
        QueueAttributeName.MessageRetentionPeriod, QueueAttributeName.MaximumMessageSize, QueueAttributeName.ReceiveMessageWaitTimeSeconds,
    ];

    private readonly string _emulatorDirectory;
    private readonly string _root;
    private readonly bool _persistent;
    private readonly bool _logRequests;
    private ChildProcess? _process;

    private SqsServer(string emulatorDirectory, string root, int port, bool persistent, bool logRequests)
    {
        _emulatorDirectory = emulatorDirectory;
        _root = root;
        _persistent = persistent;
        _logRequests = logRequests;
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
    public static Task<SqsServer> StartAsync(bool persistent = false, CancellationToken ct = default) =>
        StartAsync(persistent, logRequests: true, ct);

    /// <inheritdoc cref="StartAsync(bool, CancellationToken)"/>
    /// <remarks>Without <paramref name="logRequests"/>, its log holds its start and errors only.</remarks>
    public static async Task<SqsServer> StartAsync(bool persistent, bool logRequests, CancellationToken ct)
    {
        var emulatorDirectory = await EnsureInstalledAsync(ct);
        var root = Directory.CreateTempSubdirectory("asyncrequests-sqs-").FullName;
        var server = new SqsServer(emulatorDirectory, root, FreePort.Next(), persistent, logRequests);
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

    /// <summary>
    /// Kills and restarts the server, which ends every long poll it holds open. The queues stay, with their
    /// attributes; their messages stay only on a persistent server.
    /// </summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        using var sqs = CreateClient();
        var queues = _persistent ? [] : await ReadQueuesAsync(sqs, ct);
        await StopAsync();
        await LaunchAsync(ct);
        // Dead-letter queues first: a redrive policy names its target.
        foreach (var (name, attributes) in queues.OrderBy(q => q.Attributes.ContainsKey(QueueAttributeName.RedrivePolicy)))
        {
            await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, ct);
        }
    }

    /// <summary>Stops the server with SIGSTOP: it keeps its connections and messages but answers nothing, as a hung SQS.</summary>
    public Task PauseAsync(CancellationToken ct = default) => SignalAsync("STOP", ct);

    /// <summary>Continues the server after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync(CancellationToken ct = default) => SignalAsync("CONT", ct);

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

        var environment = SqsEmulator.Environment(_persistent ? Path.Combine(_root, "data") : null, _logRequests);
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

    private static async Task<List<(string Name, Dictionary<string, string> Attributes)>> ReadQueuesAsync(IAmazonSQS sqs, CancellationToken ct)
    {
        var queues = new List<(string, Dictionary<string, string>)>();
        foreach (var url in (await sqs.ListQueuesAsync(new ListQueuesRequest(), ct)).QueueUrls ?? [])
        {
            var attributes = (await sqs.GetQueueAttributesAsync(url, [.. s_settableAttributes], ct)).Attributes;
            queues.Add((url[(url.LastIndexOf('/') + 1)..], attributes.Where(a => s_settableAttributes.Contains(a.Key)).ToDictionary()));
        }

        return queues;
    }

    private Task SignalAsync(string signal, CancellationToken ct) =>
        ChildProcess.SignalAsync(_process?.Id ?? throw new InvalidOperationException("fauxqs is not running."), signal, ct);

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
