using AsyncRequests.Benchmarks.Reporting;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>
/// The authentication comparison counts only passes that measured accepting: one with a refusal or a socket error is
/// marked invalid, left out of the medians and the ratio, and too few valid passes make the comparison invalid.
/// </summary>
public sealed class AuthenticationReportTests
{
    [Fact]
    public void A_pass_with_refusals_is_marked_invalid_and_left_out_of_the_medians()
    {
        var passes = SampleResults.Passes();
        // As backpressure did: refusals are answered far faster than accepts, so the pass's rate looks far higher.
        passes[4] = passes[4] with { Load = SampleResults.Load(12_000, non2xx: 59_000) };
        var result = SampleResults.With(passes);

        var report = MarkdownReport.Render(result);

        Assert.False(passes[4].Valid);
        Assert.True(result.AuthenticationComparable);
        Assert.Contains("(medians [min–max] of the 3 + 4 valid passes)", report, StringComparison.Ordinal);
        Assert.Contains("| req/s (higher is better) | 1,000 [1,000–1,000] | 900 [900–900] | 0.90 |", report, StringComparison.Ordinal);
        Assert.Contains("A* 12,000", report, StringComparison.Ordinal);
        Assert.Contains("repetition 1 pass 5 A* (59,000 non-2xx, 0 socket errors)", report, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT valid", report, StringComparison.Ordinal);
    }

    [Fact]
    public void A_socket_error_makes_a_pass_invalid_too()
    {
        var pass = SampleResults.Passes()[0];

        Assert.True(pass.Valid);
        Assert.False((pass with { Load = SampleResults.Load(1_000, socketErrors: 1) }).Valid);
    }

    [Fact]
    public void Fewer_than_two_valid_passes_of_a_kind_make_the_comparison_invalid()
    {
        var passes = SampleResults.Passes();
        foreach (var order in new[] { 2, 3, 6 })
        {
            passes[order - 1] = passes[order - 1] with { Load = SampleResults.Load(9_000, non2xx: 40_000) };
        }

        var result = SampleResults.With(passes);

        var report = MarkdownReport.Render(result);

        Assert.False(result.AuthenticationComparable);
        Assert.Contains("| req/s (higher is better) | 1,000 [1,000–1,000] | 900 | – |", report, StringComparison.Ordinal);
        Assert.Contains("is NOT valid: it needs at least 2 valid passes of each kind (4 without a key, 1 with one)", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_comparison_the_results_are_comparable()
    {
        var result = SampleResults.With(authentication: null);

        Assert.True(result.AuthenticationComparable);
        Assert.DoesNotContain("valid passes", MarkdownReport.Render(result), StringComparison.Ordinal);
    }
}
