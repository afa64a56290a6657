using System.Text.Json;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class RequestTypeTests(TestServers servers) : IAsyncLifetime
{
    private Infrastructure.Pipeline _pipeline = null!;

    public async ValueTask InitializeAsync() => _pipeline = await Infrastructure.Pipeline.StartAsync(servers);

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task Multiply_returns_the_product()
    {
        var result = await ResultOfAsync("multiply", new { num1 = 5, num2 = 10 });

        Assert.Equal(50, result.GetProperty("product").GetDouble());
    }

    [Fact]
    public async Task Multiply_is_exact_beyond_the_precision_of_a_double()
    {
        var large = await ResultOfAsync("multiply", new { num1 = 123456789012345, num2 = 987654321098765 });
        var fractional = await ResultOfAsync("multiply", new { num1 = 0.1, num2 = -0.2 });

        Assert.Equal("121932631137021071359549253925", large.GetProperty("product").GetRawText());
        Assert.Equal("-0.02", fractional.GetProperty("product").GetRawText());
    }

    [Fact]
    public async Task Compute_returns_sum_average_min_and_max()
    {
        var result = await ResultOfAsync("compute", new { numbers = new[] { 10, 20, 30, 40, 50 } });

        Assert.Equal(5, result.GetProperty("count").GetInt32());
        Assert.Equal(150, result.GetProperty("sum").GetDouble());
        Assert.Equal(30, result.GetProperty("average").GetDouble());
        Assert.Equal(10, result.GetProperty("min").GetDouble());
        Assert.Equal(50, result.GetProperty("max").GetDouble());
    }

    [Fact]
    public async Task Transform_returns_cases_and_counts()
    {
        var result = await ResultOfAsync("transform", new { text = "Hello async World" });

        Assert.Equal("HELLO ASYNC WORLD", result.GetProperty("upper").GetString());
        Assert.Equal("hello async world", result.GetProperty("lower").GetString());
        Assert.Equal(3, result.GetProperty("wordCount").GetInt32());
        Assert.Equal(17, result.GetProperty("charCount").GetInt32());
    }

    [Fact]
    public async Task Text_analysis_returns_the_result_of_each_stage()
    {
        const string text = "Great queue, great service.\nThe queue is fast and reliable; the queue never loses work.";

        var result = await ResultOfAsync("text-analysis", new { text });

        var ocr = result.GetProperty("ocr");
        Assert.Equal(text.Length, ocr.GetProperty("charCount").GetInt32());
        Assert.Equal(15, ocr.GetProperty("wordCount").GetInt32());
        Assert.Equal(2, ocr.GetProperty("lineCount").GetInt32());
        Assert.Equal(text, ocr.GetProperty("preview").GetString());
        var ml = result.GetProperty("ml");
        Assert.Equal("positive", ml.GetProperty("sentiment").GetString());
        Assert.Equal(1.0, ml.GetProperty("confidence").GetDouble());
        var keywords = result.GetProperty("search").GetProperty("keywords").EnumerateArray()
            .Select(k => (k.GetProperty("keyword").GetString(), k.GetProperty("count").GetInt32()))
            .ToArray();
        Assert.Equal(("queue", 3), keywords[0]);
        Assert.Equal(("great", 2), keywords[1]);
    }

    [Fact]
    public async Task Text_analysis_preview_never_splits_a_character()
    {
        var beforeEmoji = new string('a', 99);
        var beforeAccent = new string('b', 99);

        var emoji = await ResultOfAsync("text-analysis", new { text = beforeEmoji + "\U0001F600 and more" });
        var accent = await ResultOfAsync("text-analysis", new { text = beforeAccent + "e\u0301 and more" });

        Assert.Equal(beforeEmoji, emoji.GetProperty("ocr").GetProperty("preview").GetString());
        Assert.Equal(beforeAccent, accent.GetProperty("ocr").GetProperty("preview").GetString());
    }

    [Fact]
    public async Task Words_and_keywords_leave_out_quotes_but_keep_contractions()
    {
        const string text = "'Quoted' words, 'quoted' again: quoted! Rock ' n ' roll, don't stop, don\u2019t.";

        var result = await ResultOfAsync("text-analysis", new { text });

        Assert.Equal(11, result.GetProperty("ocr").GetProperty("wordCount").GetInt32());
        var keywords = result.GetProperty("search").GetProperty("keywords").EnumerateArray()
            .Select(k => (k.GetProperty("keyword").GetString(), k.GetProperty("count").GetInt32()))
            .ToArray();
        Assert.Equal([("quoted", 3), ("don't", 2), ("again", 1), ("rock", 1), ("roll", 1)], keywords);
    }

    [Fact]
    public async Task Fail_permanent_fails_with_its_reason()
    {
        var id = await _pipeline.SubmitAsync("fail", new { mode = "permanent" });

        var document = await _pipeline.WaitForTerminalAsync(id);

        Assert.Equal(RequestStatus.Failed, document.Status);
        Assert.Equal("Simulated permanent failure.", document.Error);
        Assert.Null(document.Result);
    }

    private async Task<JsonElement> ResultOfAsync(string type, object input)
    {
        var id = await _pipeline.SubmitAsync(type, input);
        var document = await _pipeline.WaitForTerminalAsync(id);
        Assert.Equal(RequestStatus.Succeeded, document.Status);
        return document.Result!.Value;
    }
}
