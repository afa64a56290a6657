namespace AsyncRequests.LocalServers;

/// <summary>
/// How to start fauxqs, the SQS emulator pinned in tools/sqs-emulator, with the Node 22 installed there
/// (the machine's own node may be too old for it), listening on 127.0.0.1 only.
/// </summary>
public static class SqsEmulator
{
    public const string Region = "us-east-1";

    /// <summary>The environment variable that sets the emulator's port.</summary>
    public const string PortVariable = "FAUXQS_PORT";

    /// <summary>tools/sqs-emulator, found in or above the running program's folder.</summary>
    public static string FindDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tools", "sqs-emulator");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No tools/sqs-emulator/package.json in or above {AppContext.BaseDirectory}.");
    }

    /// <summary>Whether npm ci has installed fauxqs and its Node runtime in <paramref name="emulatorDirectory"/>.</summary>
    public static bool IsInstalled(string emulatorDirectory) =>
        File.Exists(NodePath(emulatorDirectory)) && File.Exists(FauxqsPackage(emulatorDirectory));

    public static string NodePath(string emulatorDirectory) =>
        Path.Combine(emulatorDirectory, "node_modules", "node", "bin", "node");

    /// <summary>The arguments to <see cref="NodePath"/>, run in the emulator's folder.</summary>
    // server.mjs starts fauxqs with the persistence and logging variables below; fauxqs always listens on
    // 0.0.0.0, and the preload keeps its socket on loopback.
    public static string[] Arguments(string emulatorDirectory) =>
        ["--import", "./loopback.mjs", Path.Combine(emulatorDirectory, "server.mjs")];

    /// <summary>
    /// The emulator's settings other than its port (<see cref="PortVariable"/>). With a
    /// <paramref name="dataDirectory"/>, it keeps its queues and messages there in SQLite, so they survive a restart.
    /// Without <paramref name="logRequests"/>, it logs only its start, not every request.
    /// </summary>
    public static Dictionary<string, string> Environment(string? dataDirectory, bool logRequests = true)
    {
        var environment = new Dictionary<string, string> { ["FAUXQS_DEFAULT_REGION"] = Region };
        if (!logRequests)
        {
            environment["FAUXQS_LOGGER"] = "false";
        }

        if (dataDirectory is not null)
        {
            environment["FAUXQS_DATA_DIR"] = dataDirectory;
            environment["FAUXQS_PERSISTENCE"] = "true";
        }

        return environment;
    }

    private static string FauxqsPackage(string emulatorDirectory) =>
        Path.Combine(emulatorDirectory, "node_modules", "fauxqs", "package.json");
}
