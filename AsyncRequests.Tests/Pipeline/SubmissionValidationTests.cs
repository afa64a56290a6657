using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>Bad input is refused with a ProblemDetails body and leaves nothing behind: no row, no message.</summary>
public sealed class SubmissionValidationTests(TestServers servers) : IAsyncLifetime
{
    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync()
    {
        _pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        // Health asks for the queue, which creates it, so "no message" below is checked on a real queue.
        using var health = await _pipeline.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { "unknown type", """{"type":"divide","input":{"num1":1,"num2":2}}""", "type" },
        { "missing type", """{"input":{"num1":1,"num2":2}}""", "type" },
        { "missing input", """{"type":"multiply"}""", "input" },
        { "input not an object", """{"type":"multiply","input":[1,2]}""", "input" },
        { "missing field", """{"type":"multiply","input":{"num1":1}}""", "input.num2" },
        { "number as string", """{"type":"multiply","input":{"num1":"1","num2":2}}""", "input.num1" },
        { "number out of range", """{"type":"multiply","input":{"num1":1e300,"num2":2}}""", "input.num1" },
        { "unknown input field", """{"type":"multiply","input":{"num1":1,"num2":2,"num3":3}}""", "input.num3" },
        { "unknown top-level field", """{"type":"multiply","input":{"num1":1,"num2":2},"priority":1}""", "priority" },
        { "empty numbers", """{"type":"compute","input":{"numbers":[]}}""", "input.numbers" },
        { "empty text", """{"type":"transform","input":{"text":""}}""", "input.text" },
        { "unknown fail mode", """{"type":"fail","input":{"mode":"sometimes"}}""", "input.mode" },
        { "negative delay", """{"type":"multiply","input":{"num1":1,"num2":2,"delayMs":-1}}""", "input.delayMs" },
        { "malformed JSON", """{"type":"multiply","input":{"num1":1,""", "body" },
        { "empty body", "", "body" },
        { "JSON null", "null", "type" },
        { "NUL in text", """{"type":"transform","input":{"text":"a\u0000b"}}""", "input.text" },
        { "NUL in text-analysis text", """{"type":"text-analysis","input":{"text":"\u0000"}}""", "input.text" },
        { "lone high surrogate", """{"type":"transform","input":{"text":"a\ud800b"}}""", "input.text" },
        { "lone low surrogate", """{"type":"text-analysis","input":{"text":"\udc00"}}""", "input.text" },
        { "NUL in a property name", """{"type":"multiply","input":{"num1":1,"num2":2,"x\u0000":1}}""", "input" },
        { "lone surrogate in a property name", """{"type":"multiply","input":{"num1":1,"num2":2,"\ud800":1}}""", "input" },
        { "lone surrogate in type", """{"type":"\ud800","input":{"num1":1,"num2":2}}""", "type" },
        { "repeated property", """{"type":"multiply","input":{"num1":5,"num1":7,"num2":1}}""", "input.num1" },
        { "case-variant property", """{"type":"multiply","input":{"num1":5,"NUM1":7,"num2":1}}""", "input.NUM1" },
        { "type and Type", """{"type":"multiply","Type":"compute","input":{"num1":1,"num2":2}}""", "Type" },
        { "miscased envelope", """{"Type":"multiply","INPUT":{"num1":2,"num2":3}}""", "Type" },
        { "miscased input fields", """{"type":"multiply","input":{"NUM1":2,"nUm2":3}}""", "input.NUM1" },
        { "enum value in another case", """{"type":"fail","input":{"mode":"Transient"}}""", "input.mode" },
        { "enum value with a space", """{"type":"fail","input":{"mode":" transient"}}""", "input.mode" },
        { "enum values as a flag list", """{"type":"fail","input":{"mode":"transient, permanent"}}""", "input.mode" },
        { "number past its maximum by less than a double tells", """{"type":"multiply","input":{"num1":1000000000000000.01,"num2":1}}""", "input.num1" },
        { "number below its minimum by less than a double tells", """{"type":"compute","input":{"numbers":[1,-1000000000000000.0001]}}""", "input.numbers" },
        { "fractional integer", """{"type":"multiply","input":{"num1":1,"num2":2,"delayMs":1.5}}""", "input.delayMs" },
        { "integer past its maximum in exponent form", """{"type":"multiply","input":{"num1":1,"num2":2,"delayMs":6.00001e4}}""", "input.delayMs" },
        { "input twice", """{"type":"multiply","input":{"num1":1,"num2":2},"input":{"num1":3,"num2":4}}""", "input" },
    };

    public static TheoryData<string, byte[]> InvalidIdempotencyKeys => new()
    {
        { "empty", [] },
        { "too long", Encoding.ASCII.GetBytes(new string('k', 201)) },
        { "a tab", Encoding.ASCII.GetBytes("order\t42") },
        { "UTF-8 letters", Encoding.UTF8.GetBytes("заказ-42") },
    };

    /// <summary>Header bytes the HTTP server itself refuses, with a bare 400, before the Api sees the request.</summary>
    public static TheoryData<string, byte[]> UnreadableIdempotencyKeys => new()
    {
        { "NUL", Encoding.ASCII.GetBytes("order\u000042") },
        { "not UTF-8", [.. Encoding.ASCII.GetBytes("caf"), 0xE9] },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_input_is_a_400_validation_problem_naming_the_field(string because, string body, string field)
    {
        using var response = await _pipeline.Client.PostAsync("/requests", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, because);
        var problem = await ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{because}: {problem}");
        await AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [InlineData("1.0", 1)]
    [InlineData("1e3", 1000)]
    [InlineData("6E+4", 60_000)]
    [InlineData("0.0e5", 0)]
    public async Task An_integer_written_with_a_fraction_or_an_exponent_is_accepted_as_that_integer(string delayMs, int stored)
    {
        using var response = await _pipeline.Client.PostAsync(
            "/requests",
            new StringContent($$$"""{"type":"multiply","input":{"num1":2,"num2":3,"delayMs":{{{delayMs}}}}}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var db = _pipeline.CreateDbContext();
        var input = JsonElement.Parse((await db.Requests.SingleAsync(TestContext.Current.CancellationToken)).Input);
        Assert.Equal(stored, input.GetProperty("delayMs").GetInt32());
        Assert.Equal(2, input.GetProperty("num1").GetDouble());
    }

    /// <summary>Sent over a raw socket: HTTP clients refuse to send most of these header values at all.</summary>
    [Theory]
    [MemberData(nameof(InvalidIdempotencyKeys))]
    public async Task An_invalid_idempotency_key_is_a_400_problem_naming_the_header(string because, byte[] key)
    {
        var (status, answer) = await SubmitWithIdempotencyKeyAsync(key);

        Assert.True(status == 400, $"{because}: {status} {answer}");
        var problem = JsonElement.Parse(answer);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _), $"{because}: {problem}");
        await AssertNothingStoredOrQueuedAsync();
    }

    [Theory]
    [MemberData(nameof(UnreadableIdempotencyKeys))]
    public async Task An_idempotency_key_the_http_server_cannot_read_is_a_400_and_stores_nothing(string because, byte[] key)
    {
        var (status, answer) = await SubmitWithIdempotencyKeyAsync(key);

        Assert.True(status == 400, $"{because}: {status} {answer}");
        await AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem()
    {
        var text = new string('x', 300 * 1024);

        using var response = await _pipeline.PostAsync(new { type = "transform", input = new { text } });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await ReadProblemAsync(response);
        await AssertNothingStoredOrQueuedAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        using var response = await _pipeline.Client.PostAsync("/requests", new StringContent("num1=5&num2=10", Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await ReadProblemAsync(response);
        await AssertNothingStoredOrQueuedAsync();
    }

    private Task<(int Status, string Body)> SubmitWithIdempotencyKeyAsync(byte[] key)
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"multiply","input":{"num1":1,"num2":2}}""");
        byte[] request =
        [
            .. Encoding.ASCII.GetBytes($"POST /requests HTTP/1.0\r\nHost: {_pipeline.Client.BaseAddress!.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nIdempotency-Key: "),
            .. key,
            .. "\r\n\r\n"u8,
            .. body,
        ];
        return RawHttp.SendAsync(_pipeline.Client.BaseAddress, request, TestContext.Current.CancellationToken);
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonElement.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private async Task AssertNothingStoredOrQueuedAsync()
    {
        await using var db = _pipeline.CreateDbContext();
        Assert.Equal(0, await db.Requests.CountAsync(TestContext.Current.CancellationToken));

        var queueUrl = (await _pipeline.Sqs.GetQueueUrlAsync(_pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        var received = await _pipeline.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queueUrl) { WaitTimeSeconds = 0, MaxNumberOfMessages = 10 }, TestContext.Current.CancellationToken);
        Assert.Empty(received.Messages ?? []);
    }
}
