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
}
