using AsyncRequests.Benchmarks.Reporting;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>The report's header says how the figures were taken.</summary>
public sealed class ReportHeaderTests
{
    [Fact]
    public void The_header_says_whether_the_Processor_ran_natively()
    {
        var withJit = SampleResults.With(authentication: null);
        var native = withJit with { Settings = withJit.Settings with { ProcessorAot = true } };

        Assert.Contains("; the Processor with the JIT.", MarkdownReport.Render(withJit), StringComparison.Ordinal);
        Assert.Contains("; the Processor native (Native AOT).", MarkdownReport.Render(native), StringComparison.Ordinal);
    }

    [Fact]
    public void The_header_says_how_long_each_instance_was_warmed_up()
    {
        var sample = SampleResults.With(authentication: null);
        var warm = sample with { Settings = sample.Settings with { WarmUpDuration = TimeSpan.FromSeconds(10), WarmUpConnections = 32 } };
        var cold = sample with { Settings = sample.Settings with { WarmUpDuration = TimeSpan.Zero } };

        Assert.Contains(
            "; each instance warmed up by 10 s of submissions at 32 connections, not measured;", MarkdownReport.Render(warm), StringComparison.Ordinal);
        Assert.Contains("; no warm-up;", MarkdownReport.Render(cold), StringComparison.Ordinal);
    }
}
