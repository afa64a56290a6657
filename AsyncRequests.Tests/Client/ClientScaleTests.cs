using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Client;

public sealed class ClientScaleTests(TestServers servers)
{
    private const int Waits = 1000;

    [Fact]
    public async Task A_thousand_concurrent_waits_on_one_client_hold_one_stream_each_and_never_poll()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Database:MaxPoolSize"] = "100",
        });
        var traffic = new TrafficCounter();
        using var clients = new RequestsClients(pipeline.Client.BaseAddress!, handlers: traffic);
        var operations = await Task.WhenAll(Enumerable.Range(0, Waits).Select(
            i => clients.Client.SubmitAsync(new MultiplyInput { Num1 = i, Num2 = 2 }, cancellationToken: ct)));

        // No Processor yet: every wait sees its request pending on an open stream first.
        var waits = operations.Select(o => o.WaitForCompletionAsync(ct)).ToList();
        await Eventually.HoldsAsync(
            () => Task.FromResult(operations.All(o => o.Document is not null)),
            () => $"{operations.Count(o => o.Document is not null)} of {Waits} waits saw their request.",
            TimeSpan.FromSeconds(120));
        var streamsWhileWaiting = traffic.Streams;
        pipeline.StartProcessor();
        var results = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(180), ct);

        Assert.Equal(Waits, streamsWhileWaiting);
        Assert.Equal(Waits, traffic.Streams);
        Assert.Equal(0, traffic.Polls);
        Assert.Equal(Enumerable.Range(0, Waits).Select(i => (double)i * 2), results.Select(r => r.Product.GetDouble()));
        TestContext.Current.SendDiagnosticMessage($"{Waits} waits: {traffic.Streams} streams, {traffic.Polls} polls, {traffic.Submits} submits.");
    }
}
