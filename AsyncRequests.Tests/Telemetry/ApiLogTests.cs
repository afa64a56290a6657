using System.Net;
using System.Text;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Telemetry;

/// <summary>An error in the Api's log means something is wrong: things that happen every day log below Error.</summary>
public sealed class ApiLogTests(TestServers servers)
{
    [Fact]
    public async Task A_first_start_that_creates_the_schema_logs_no_error()
    {
        var logs = new CapturedLogs();

        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, configureServices: logs.AddTo);
        await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });

        Assert.Contains(logs.Entries, e => e.Message.Contains("pending request store migrations", StringComparison.Ordinal));
        Assert.True(!logs.Errors.Any(), string.Join('\n', logs.Errors));
    }

    [Fact]
    public async Task Concurrent_submits_with_one_idempotency_key_log_no_error()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, configureServices: logs.AddTo);
        var body = new { type = "compute", input = new { numbers = new[] { 4, 5, 6 } } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => pipeline.PostAsync(body, idempotencyKey: "same-key")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.True(!logs.Errors.Any(), string.Join('\n', logs.Errors));
    }

    [Fact]
    public async Task A_client_that_hangs_up_halfway_through_its_body_logs_no_error()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, configureServices: logs.AddTo);
        var request = Encoding.ASCII.GetBytes(
            $"POST /requests HTTP/1.0\r\nHost: {pipeline.Client.BaseAddress!.Authority}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"type\":\"multiply\",");

        await RawHttp.SendAndHangUpAsync(pipeline.Client.BaseAddress, request, TestContext.Current.CancellationToken);
        await logs.WaitForAsync(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Message.StartsWith("Request finished HTTP/1.0 POST", StringComparison.Ordinal));

        Assert.True(!logs.Errors.Any(), string.Join('\n', logs.Errors));
    }
}
