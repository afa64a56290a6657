using AsyncRequests.Processor;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>The Processor's lease statements on a test's database, outside any Processor: three attempts, the default lease.</summary>
public static class TestLeases
{
    public static RequestLeases Create(NpgsqlDataSource dataSource) =>
        new(dataSource, TimeProvider.System, Options.Create(new QueueOptions()), Options.Create(new ProcessorOptions { MaxAttempts = 3 }));
}
