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

    /// <summary>
    /// A body that breaks off (bad chunk framing here; a client hanging up mid-body, when the server reads
    /// the body before it notices the hang-up) fails the body read with a BadHttpRequestException.
    /// </summary>
    [Fact]
    public async Task A_body_that_breaks_off_is_a_400_and_logs_no_error()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, configureServices: logs.AddTo);
        var request = Encoding.ASCII.GetBytes(
            $"POST /requests HTTP/1.1\r\nHost: {pipeline.Client.BaseAddress!.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n{{\"type\":\r\nZZ\r\n");

        var (status, _) = await RawHttp.SendAsync(pipeline.Client.BaseAddress, request, TestContext.Current.CancellationToken);
        await logs.WaitForAsync(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Message.StartsWith("Request finished HTTP/1.1 POST", StringComparison.Ordinal));

        Assert.Equal(400, status);
        Assert.True(!logs.Errors.Any(), string.Join('\n', logs.Errors));
    }
}
