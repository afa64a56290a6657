using System.Net;
using System.Net.Http.Json;
using System.Text;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Pipeline;

public sealed class IdempotencyTests(TestServers servers)
{
    [Fact]
    public async Task The_same_key_and_body_replays_the_original_answer_and_stores_one_request()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var body = new { type = "multiply", input = new { num1 = 6, num2 = 7 } };

        using var first = await pipeline.PostAsync(body, idempotencyKey: "order-42");
        using var replay = await pipeline.PostAsync(body, idempotencyKey: "order-42");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var original = await first.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        var replayed = await replay.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(original, replayed);
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));

        var done = await pipeline.WaitForTerminalAsync(original!.Id);
        Assert.Single(done.History, h => h.Status == RequestStatus.Processing);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(1, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Concurrent_submits_with_one_key_create_one_request()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var body = new { type = "compute", input = new { numbers = new[] { 1, 2, 3 } } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => pipeline.PostAsync(body, idempotencyKey: "burst")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(responses.Select(r => r.Headers.Location).Distinct());
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(1, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_a_422_problem()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        using var first = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 6, num2 = 7 } }, idempotencyKey: "order-43");

        using var conflict = await pipeline.PostAsync(new { type = "multiply", input = new { num1 = 6, num2 = 8 } }, idempotencyKey: "order-43");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(1, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("Idempotency-Key: dupA\r\nIdempotency-Key: dupB\r\n")]
    [InlineData("Idempotency-Key: dupA, dupB\r\n")]
    public async Task Two_keys_in_one_submit_are_a_validation_problem_naming_the_header_and_nothing_is_stored(string keyHeaders)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        const string body = """{"type":"multiply","input":{"num1":6,"num2":7}}""";
        var request = Encoding.ASCII.GetBytes(
            $"POST /requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{keyHeaders}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");

        var (status, answer) = await RawHttp.SendAsync(pipeline.Client.BaseAddress!, request, TestContext.Current.CancellationToken);

        Assert.Equal(400, status);
        Assert.Contains("\"Idempotency-Key\"", answer, StringComparison.Ordinal);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(0, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
    }
}
