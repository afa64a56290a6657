[assembly: AssemblyFixture(typeof(AsyncRequests.Tests.Infrastructure.TestServers))]

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server and one SQS server for the whole test run; every test isolates itself
/// with its own database and its own queues on them (see <see cref="Pipeline"/>).
/// </summary>
public sealed class TestServers : IAsyncLifetime
{
    public PostgresServer Postgres { get; private set; } = null!;

    public SqsServer Sqs { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // The services under test take credentials from the SDK's default chain, as in production.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");

        var postgres = PostgresServer.StartAsync();
        var sqs = SqsServer.StartAsync();
        Postgres = await postgres;
        Sqs = await sqs;
    }

    public async ValueTask DisposeAsync()
    {
        if (Sqs is not null)
        {
            await Sqs.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
