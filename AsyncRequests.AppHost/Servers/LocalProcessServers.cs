using AsyncRequests.LocalServers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AsyncRequests.AppHost;

/// <summary>
/// PostgreSQL from the machine's binaries and the SQS emulator (tools/sqs-emulator) as executable
/// resources, for machines without a container engine. Their data stays in LocalServers:DataDirectory
/// across runs.
/// </summary>
internal static class LocalProcessServers
{
    private const string DatabaseName = "requestsdb";

    // Creates the cluster and the database once, in a staging folder moved into place at the end, so an
    // interrupted first run starts over rather than leaving half a cluster. Runs as the server's user.
    private const string InitScript = """
        set -euo pipefail
        bin=$1 cluster=$2 database=$3
        if [ -f "$cluster/PG_VERSION" ]; then echo "Using the cluster in $cluster"; exit 0; fi
        rm -rf "$cluster.new"
        "$bin/initdb" -D "$cluster.new" -U postgres -A trust -E UTF8 --no-locale --no-instructions
        output=$(echo "CREATE DATABASE \"$database\"" | "$bin/postgres" --single -D "$cluster.new" postgres 2>&1)
        if grep -q ERROR <<<"$output"; then echo "$output" >&2; exit 1; fi
        mv "$cluster.new" "$cluster"
        echo "Created the cluster in $cluster with the database $database"
        """;

    public static BackingServers AddLocalProcessServers(this IDistributedApplicationBuilder builder)
    {
        var dataDirectory = builder.Configuration["LocalServers:DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : DefaultDataDirectory();
        var (postgres, requestsDb) = AddPostgres(builder, Path.Combine(dataDirectory, "postgres"));
        var sqs = AddSqsEmulator(builder, Path.Combine(dataDirectory, "sqs"));
        return new BackingServers(requestsDb, sqs.GetEndpoint("http"), sqs);
    }

    private static (IResourceBuilder<ExecutableResource> Server, IResourceBuilder<IResourceWithConnectionString> Database) AddPostgres(
        IDistributedApplicationBuilder builder, string directory)
    {
        var binaries = PostgresBinaries.Find();
        var cluster = Path.Combine(directory, "data");

        var (initFile, initArguments) = PostgresBinaries.Command(
            "bash", "-c", InitScript, "postgres-init", binaries, cluster, DatabaseName);
        var init = builder.AddExecutable("postgres-init", initFile, directory, initArguments)
            .OnBeforeResourceStarted((_, _, ct) => PostgresBinaries.PrepareDirectoryAsync(directory, ct));

        // The postmaster itself, not pg_ctl, so that it is the process Aspire watches and stops: SIGTERM is a
        // smart shutdown, which completes once the services have closed their connections. Only TCP on
        // loopback: no Unix socket to collide with a system cluster's.
        var (serverFile, serverArguments) = PostgresBinaries.Command(
            Path.Combine(binaries, "postgres"),
            "-D", cluster, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=");
        var server = builder.AddExecutable("postgres", serverFile, directory, serverArguments)
            .WithEndpoint(name: "tcp", scheme: "tcp", env: "PGPORT")
            .WaitForCompletion(init);
        var endpoint = server.GetEndpoint("tcp");

        var serverConnection = ConnectionString(endpoint, "postgres");
        server.WithHealthCheck(AddHealthCheck(builder, "postgres", serverConnection));

        var database = builder.AddConnectionString(DatabaseName, ConnectionString(endpoint, DatabaseName))
            .WaitFor(server);
        database.WithHealthCheck(AddHealthCheck(builder, DatabaseName, database.Resource.ConnectionStringExpression));
        return (server, database);
    }

    private static IResourceBuilder<ExecutableResource> AddSqsEmulator(IDistributedApplicationBuilder builder, string directory)
    {
        var emulator = SqsEmulator.FindDirectory();
        if (!SqsEmulator.IsInstalled(emulator))
        {
            throw new InvalidOperationException(
                $"The SQS emulator is not installed in {emulator}: run `npm ci --prefix tools/sqs-emulator` once.");
        }

        var sqs = builder.AddExecutable("sqs", SqsEmulator.NodePath(emulator), emulator, SqsEmulator.Arguments(emulator))
            .WithHttpEndpoint(name: "http", env: SqsEmulator.PortVariable)
            .WithHttpHealthCheck("/health")
            .OnBeforeResourceStarted((_, _, _) =>
            {
                Directory.CreateDirectory(directory);
                return Task.CompletedTask;
            });
        foreach (var (name, value) in SqsEmulator.Environment(directory))
        {
            sqs.WithEnvironment(name, value);
        }

        return sqs;
    }

    private static ReferenceExpression ConnectionString(EndpointReference endpoint, string database) =>
        ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={PostgresBinaries.Superuser};Database={database}");

    private static string AddHealthCheck(IDistributedApplicationBuilder builder, string resourceName, ReferenceExpression connectionString)
    {
        var key = $"{resourceName}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, _ => new PostgresHealthCheck(connectionString), failureStatus: null, tags: null));
        return key;
    }

    // Under the user's local application data. The server runs as the postgres user, which cannot enter root's
    // home, so as root the default is under that user's home instead.
    private static string DefaultDataDirectory()
    {
        var home = PostgresBinaries.RunAsServerUser && PostgresBinaries.ServerUserHome() is { } serverUserHome
            ? Path.Combine(serverUserHome, ".local", "share")
            : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return Path.Combine(home, "AsyncRequests");
    }
}
