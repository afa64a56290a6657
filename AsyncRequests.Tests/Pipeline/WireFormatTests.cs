using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// Pins the bytes the Api sends, member order included: clients in any language parse these, so a change
/// of the contract's types must not change them. Ids, times and trace ids vary per run and are masked.
/// Results are stored as jsonb, which orders their members by length, then bytes.
/// </summary>
public sealed partial class WireFormatTests(TestServers servers) : IAsyncLifetime
{
    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync() => _pipeline = await Infrastructure.Pipeline.StartAsync(servers);

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task A_submit_answer_and_a_finished_status_document_keep_their_exact_bytes()
    {
        using var submitted = await _pipeline.PostAsync(new { type = "compute", input = new { numbers = new[] { 1, 2, 4 } } });
        var accepted = await submitted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var id = (await submitted.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken))!.Id;
        await _pipeline.WaitForTerminalAsync(id);
        var document = await _pipeline.Client.GetStringAsync($"/requests/{id}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal(
            """{"id":"<id>","type":"compute","status":"pending","createdAt":"<time>","links":{"self":"/requests/<id>","events":"/requests/<id>/events","cancel":"/requests/<id>/cancel"}}""",
            Mask(accepted));
        Assert.Equal(
            """{"id":"<id>","clientId":"anonymous","type":"compute","status":"succeeded","cancelRequested":false,"progress":{"percent":100,"stage":"done"},"attempts":1,"createdAt":"<time>","updatedAt":"<time>","startedAt":"<time>","completedAt":"<time>","result":{"max":4,"min":1,"sum":7,"count":3,"average":2.3333333333333335},"history":[{"status":"pending","at":"<time>","attempt":0,"detail":"submitted"},{"status":"processing","at":"<time>","attempt":1,"detail":null},{"status":"succeeded","at":"<time>","attempt":1,"detail":null}],"traceId":"<trace>","links":{"self":"/requests/<id>","events":"/requests/<id>/events","cancel":"/requests/<id>/cancel"}}""",
            Mask(document));
    }

    [Fact]
    public async Task Each_result_keeps_its_exact_bytes()
    {
        Assert.Equal(
            """{"product":-0.02}""",
            await ResultOfAsync("multiply", new { num1 = 0.1, num2 = -0.2 }));
        Assert.Equal(
            """{"lower":"ab cd","upper":"AB CD","charCount":5,"wordCount":2}""",
            await ResultOfAsync("transform", new { text = "Ab cD" }));
        Assert.Equal(
            """{"ml":{"sentiment":"positive","confidence":0.67},"ocr":{"preview":"Great queue.\nFast bad","charCount":21,"lineCount":2,"wordCount":4},"search":{"keywords":[{"count":1,"keyword":"bad"},{"count":1,"keyword":"fast"},{"count":1,"keyword":"great"},{"count":1,"keyword":"queue"}]}}""",
            await ResultOfAsync("text-analysis", new { text = "Great queue.\nFast bad" }));
    }

    [Fact]
    public async Task A_failed_document_and_the_problems_keep_their_exact_bytes()
    {
        var failed = await _pipeline.SubmitAsync("fail", new { mode = "permanent" });
        await _pipeline.WaitForTerminalAsync(failed);
        var document = await _pipeline.Client.GetStringAsync($"/requests/{failed}", TestContext.Current.CancellationToken);
        using var invalid = await _pipeline.PostAsync(new { type = "multiply", input = new { num1 = 1 } });
        using var missing = await _pipeline.Client.GetAsync($"/requests/{Guid.CreateVersion7()}", TestContext.Current.CancellationToken);

        Assert.Equal(
            """{"id":"<id>","clientId":"anonymous","type":"fail","status":"failed","cancelRequested":false,"progress":{"percent":0,"stage":null},"attempts":1,"createdAt":"<time>","updatedAt":"<time>","startedAt":"<time>","completedAt":"<time>","error":"Simulated permanent failure.","history":[{"status":"pending","at":"<time>","attempt":0,"detail":"submitted"},{"status":"processing","at":"<time>","attempt":1,"detail":null},{"status":"failed","at":"<time>","attempt":1,"detail":"Simulated permanent failure."}],"traceId":"<trace>","links":{"self":"/requests/<id>","events":"/requests/<id>/events","cancel":"/requests/<id>/cancel"}}""",
            Mask(document));
        Assert.Equal(
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"input.num2":["The Num2 field is required."]},"traceId":"<trace-parent>"}""",
            Mask(await invalid.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
        Assert.Equal(
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"There is no request <id>.","traceId":"<trace-parent>"}""",
            Mask(await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    private async Task<string> ResultOfAsync(string type, object input)
    {
        var id = await _pipeline.SubmitAsync(type, input);
        await _pipeline.WaitForTerminalAsync(id);
        var document = await _pipeline.Client.GetStringAsync($"/requests/{id}", TestContext.Current.CancellationToken);
        return ResultPattern().Match(document).Groups["result"].Value;
    }

    private static string Mask(string json) =>
        TraceParent().Replace(Time().Replace(TraceId().Replace(Id().Replace(json, "<id>"), "\"traceId\":\"<trace>\""), "\"<time>\""), "<trace-parent>");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Id();

    [GeneratedRegex("\"traceId\":\"[0-9a-f]{32}\"")]
    private static partial Regex TraceId();

    [GeneratedRegex("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")]
    private static partial Regex TraceParent();

    [GeneratedRegex("\"\\d{4}-\\d{2}-\\d{2}T[0-9:.]+(Z|[+-]\\d{2}:\\d{2})\"")]
    private static partial Regex Time();

    [GeneratedRegex("\"result\":(?<result>\\{.*?\\}),\"history\"")]
    private static partial Regex ResultPattern();
}
