using System.Xml.Linq;
using AsyncRequests.Benchmarks.Reporting;

namespace AsyncRequests.Tests.Benchmark;

/// <summary>The SVG chart made from the results: well-formed, a bar per system in each figure's panel, nothing else checked.</summary>
public sealed class PerformanceChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Each_figure_gets_a_panel_with_a_bar_and_its_value_for_each_system()
    {
        var chart = XDocument.Parse(PerformanceChart.Render(SampleResults.With(SampleResults.Passes())));

        Assert.Equal(Svg + "svg", chart.Root!.Name);
        var panels = Panels(chart);
        Assert.Equal(
            ["Accept, 32 connections", "End to end, 1,000 requests", "Backlog drain, 1,000 requests", "CPU per 1,000 requests end to end, all processes",
                "Light load (20 req/s), accept → done p99", "Peak memory, service processes"],
            panels.Select(p => p.Element(Svg + "title")!.Value));
        Assert.All(panels, panel =>
        {
            var bars = panel.Elements(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
            Assert.Equal(["Hangfire.PostgreSql", "AsyncRequests"], bars.Select(b => (string?)b.Attribute("data-system")));
            Assert.All(bars, bar => Assert.True(double.Parse((string)bar.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture) > 0));
            Assert.Contains(panel.Elements(Svg + "text"), t => t.Value.Contains(" is better", StringComparison.Ordinal));
        });
        // The sample's accept rates, written on the bars.
        var accept = panels[0].Elements(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("300", accept);
        Assert.Contains("1,500", accept);
        Assert.Contains(chart.Root.Elements(Svg + "text"), t => t.Value.Contains("quick mode", StringComparison.Ordinal) && t.Value.Contains("commit abc1234", StringComparison.Ordinal));
    }

    [Fact]
    public void A_figure_without_samples_is_left_out()
    {
        var result = SampleResults.With(authentication: null);
        var ours = result.Runs.Single(r => r.System == "AsyncRequests");
        result = result with { Runs = [.. result.Runs.Where(r => r != ours), ours with { LightLoad = ours.LightLoad with { DoneP99Ms = double.NaN } }] };

        var panels = Panels(XDocument.Parse(PerformanceChart.Render(result)));

        Assert.Equal(5, panels.Count);
        Assert.DoesNotContain(panels, p => p.Element(Svg + "title")!.Value.StartsWith("Light load", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_chart_is_drawn_again_from_the_results_file()
    {
        var result = SampleResults.With(SampleResults.Passes());
        var path = Path.Combine(Directory.CreateTempSubdirectory("asyncrequests-chart-").FullName, "results.json");
        try
        {
            await ResultsJson.WriteAsync(result, path);

            Assert.Equal(PerformanceChart.Render(result), PerformanceChart.Render(await ResultsJson.ReadAsync(path)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    private static List<XElement> Panels(XDocument chart) =>
        [.. chart.Root!.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "figure")];
}
