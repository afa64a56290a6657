using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Amazon.SQS.Model;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Faults;

public sealed class HostileInputTests(TestServers servers)
{
    [Fact]
    public async Task Two_thousand_malformed_or_hostile_bodies_all_get_4xx_problems_and_store_nothing()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var bodies = HostileBodies.Generate(count: 2000, seed: 20261123);
        var answers = new (HostileBodies.Body Body, HttpStatusCode Status, string? MediaType)[bodies.Count];

        await Parallel.ForAsync(0, bodies.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var content = new ByteArrayContent(bodies[i].Bytes);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(bodies[i].ContentType);
            using var response = await pipeline.Client.PostAsync("/requests", content, ct);
            answers[i] = (bodies[i], response.StatusCode, response.Content.Headers.ContentType?.MediaType);
        });

        var wrong = answers.Where(a => (int)a.Status is < 400 or >= 500 || a.MediaType != "application/problem+json").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong.Take(10).Select(w => $"{(int)w.Status} {w.MediaType} for {w.Body.Kind}: {w.Body.Preview}")));
        Assert.All(HostileBodies.Kinds, kind => Assert.Contains(bodies, b => b.Kind == kind));
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(0, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Garbage_on_the_queue_is_deleted_and_the_processor_keeps_working()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 6, num2 = 6, delayMs = 300 });
        var queueUrl = (await pipeline.Sqs.GetQueueUrlAsync(pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        string[] garbage =
        [
            "not json at all",
            "{}",
            """{"requestId":"not-a-guid","type":"multiply"}""",
            new RequestMessage(Guid.CreateVersion7(), "multiply").ToJson(),
            new RequestMessage(Guid.CreateVersion7(), "no-such-type").ToJson(),
            new RequestMessage(id, "no-such-type").ToJson(),
            "\u0001\u0002binary-ish\u0003",
        ];
        await pipeline.Sqs.SendMessageBatchAsync(
            queueUrl,
            [.. garbage.Select((body, i) => new SendMessageBatchRequestEntry($"g{i}", body))],
            TestContext.Current.CancellationToken);

        var done = await pipeline.WaitForTerminalAsync(id);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);

        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Single((await pipeline.GetAsync(id)).History, h => h.Status == RequestStatus.Processing);
        var after = await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 7, num2 = 7 }));
        Assert.Equal(49, after.Result!.Value.GetProperty("product").GetDouble());
    }

    /// <summary>Bodies that must all be refused: every kind breaks the contract in its own way.</summary>
    private static class HostileBodies
    {
        public const int MaxBodyBytes = 256 * 1024;

        private static readonly string[] s_sqlish =
        [
            "multiply'; DROP TABLE requests;--", "' OR '1'='1", "\"; DELETE FROM requests WHERE ''='", "1; SELECT pg_sleep(10)",
        ];

        /// <summary>JSON string contents PostgreSQL cannot store: NUL, and lone surrogates (invalid UTF-16).</summary>
        private static readonly string[] s_unstorable =
        [
            "\\u0000", "a\\u0000b", "\\ud800", "x\\udc00y", "\\udbff\\u0041", "ok\\udfff",
        ];

        private static readonly Func<Random, (string Json, string ContentType)>[] s_makers =
        [
            r => ($$$"""{"type":{{{Pick(r, "5", "true", "[]", "{}", "null", "1.5")}}},"input":{"num1":1,"num2":2}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":{{{Pick(r, "\"1\"", "true", "[1]", "{}", "null")}}},"num2":2}}""", "application/json"),
            r => ($$$"""{"type":"compute","input":{"numbers":{{{Pick(r, "[\"1\",2]", "\"1,2\"", "[[1]]", "[null]", "{}", "[]")}}}}}""", "application/json"),
            r => ($$$"""{"type":"transform","input":{"text":{{{Pick(r, "5", "[\"a\"]", "null", "\"\"", "{}")}}}}}""", "application/json"),
            r => ($$$"""{"type":"fail","input":{"mode":{{{Pick(r, "0", "1", "\"Sometimes\"", "\"\"", "null")}}}}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":{{{Pick(r, "1e400", "-1e400", "123456789012345678901234567890", "1e16", "-9e15")}}},"num2":2}}""", "application/json"),
            r => ($$$"""{"type":"compute","input":{"numbers":[1,{{{Pick(r, "1e309", "2e15", "-1e300")}}}]}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,"delayMs":{{{Pick(r, "-1", "60001", "1.5", "\"10\"", "99999999999")}}}}}""", "application/json"),
            r => (Nest(r.Next(20, 300)), "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,"{{{Name(r)}}}":1}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2},"{{{Name(r)}}}":"x"}""", "application/json"),
            r => ($$$"""{"type":{{{System.Text.Json.JsonSerializer.Serialize(Pick(r, s_sqlish))}}},"input":{"num1":1,"num2":2}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,{{{System.Text.Json.JsonSerializer.Serialize(Pick(r, s_sqlish))}}}:1}}""", "application/json"),
            r => ("""{"type":"multiply","input":{"num1":1,"num2":2}}"""[..r.Next(0, 45)], "application/json"),
            r => (Pick(r, "", " ", "null", "[]", "42", "\"multiply\"", "true", "{", "}", "{\"type\":}", "<xml/>"), "application/json"),
            r => ("""{"type":"multiply","input":{"num1":1,"num2":2}}""", Pick(r, "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")),
            r => ($$$"""{"type":"{{{Pick(r, "Multiply", "MULTIPLY", "multiply ", " multiply", "multi\u0000ply", "divide", "")}}}","input":{"num1":1,"num2":2}}""", "application/json"),
            r => ($$$"""{"type":"compute","input":{"numbers":[{{{string.Join(',', Enumerable.Repeat(1, 10_001))}}}]}}""", "application/json"),
            r => ($$$"""{"type":"transform","input":{"text":"{{{new string('a', 100_001)}}}"}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,"num1":{{{Pick(r, "\"x\"", "1e400")}}}}}""", "application/json"),
            r => ($$$"""{"type":"{{{Pick(r, "transform", "text-analysis")}}}","input":{"text":"{{{Pick(r, s_unstorable)}}}"}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,"{{{Pick(r, s_unstorable)}}}":1}}""", "application/json"),
            r => ($$$"""{"type":"multiply","input":{"num1":1,"num2":2,"{{{Pick(r, "num1", "NUM1", "Num2", "nUM2")}}}":3}}""", "application/json"),
            r => ($$$"""{"type":"multiply","{{{Pick(r, "type", "Type", "TYPE", "input", "Input")}}}":{{{Pick(r, "\"multiply\"", "{\"num1\":3,\"num2\":4}")}}},"input":{"num1":1,"num2":2}}""", "application/json"),
        ];

        public static IReadOnlyList<string> Kinds { get; } =
            [.. Enumerable.Range(0, s_makers.Length).Select(i => $"kind {i}"), "invalid UTF-8", "oversized"];

        public static List<Body> Generate(int count, int seed)
        {
            var random = new Random(seed);
            var bodies = new List<Body>(count);
            for (var i = 0; i < count; i++)
            {
                // Every kind appears many times; the costly ones (oversized) only a few.
                bodies.Add((i % 100) switch
                {
                    0 => new Body("oversized", Encoding.UTF8.GetBytes($$$"""{"type":"transform","input":{"text":"{{{new string('x', MaxBodyBytes)}}}"}}"""), "application/json"),
                    < 10 => InvalidUtf8(random),
                    _ => Make(random, random.Next(s_makers.Length)),
                });
            }

            return bodies;
        }

        private static Body Make(Random random, int kind)
        {
            var (json, contentType) = s_makers[kind](random);
            return new Body($"kind {kind}", Encoding.UTF8.GetBytes(json), contentType);
        }

        private static Body InvalidUtf8(Random random)
        {
            var prefix = Encoding.UTF8.GetBytes("""{"type":"transform","input":{"text":"ab""");
            byte[] invalid = [.. Pick(random, new byte[] { 0xC3, 0x28 }, [0xFF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82])];
            return new Body("invalid UTF-8", [.. prefix, .. invalid, .. Encoding.UTF8.GetBytes("cd\"}}")], "application/json");
        }

        private static string Nest(int depth) =>
            $$$"""{"type":"multiply","input":{"num1":{{{new string('[', depth)}}}1{{{new string(']', depth)}}},"num2":2}}""";

        private static string Name(Random random) =>
            Pick(random, "num3", "Num1 ", "__proto__", "constructor", "$type", "id", "status", "a.b", "🙂") + random.Next(0, 3) switch
            {
                0 => string.Empty,
                _ => random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            };

        private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];

        public sealed record Body(string Kind, byte[] Bytes, string ContentType)
        {
            public string Preview => Encoding.UTF8.GetString(Bytes[..Math.Min(Bytes.Length, 120)]);
        }
    }
}
