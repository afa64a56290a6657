using System.Globalization;
using System.Text;
using System.Xml;
using AsyncRequests.Benchmarks.Measurement;

namespace AsyncRequests.Benchmarks.Reporting;

/// <summary>
/// The headline figures as one self-contained SVG: a panel per figure, each on its own scale (the units differ), with
/// a bar per system, its median written on it, and which direction is better. Figures a run lacks are left out.
/// </summary>
public static class PerformanceChart
{
    private const string Ours = "AsyncRequests";
    private const string Peer = "Hangfire.PostgreSql";
    private const string OursColour = "#2563eb";
    private const string PeerColour = "#9ca3af";

    private const int Width = 760;
    private const int Margin = 20;
    private const int BarsLeft = 170;
    private const int BarsMaxWidth = 460;
    private const int BarHeight = 18;
    private const int PanelHeight = 78;
    private const int HeaderHeight = 102;

    /// <summary>What one panel shows: the median over the repetitions of <see cref="Value"/>, per system.</summary>
    private sealed record Figure(string Title, string Unit, bool HigherIsBetter, Func<SystemRun, double> Value);

    public static string Render(BenchmarkResult result)
    {
        var figures = FiguresOf(result)
            .Select(f => (Figure: f, Peer: Median(result, Peer, f.Value), Ours: Median(result, Ours, f.Value)))
            .Where(f => double.IsFinite(f.Peer) && double.IsFinite(f.Ours))
            .ToList();
        var height = HeaderHeight + (figures.Count * PanelHeight) + Margin;

        var text = new StringBuilder();
        using (var svg = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            svg.WriteStartElement("svg", "http://www.w3.org/2000/svg");
            svg.WriteAttributeString("width", Number(Width));
            svg.WriteAttributeString("height", Number(height));
            svg.WriteAttributeString("viewBox", $"0 0 {Number(Width)} {Number(height)}");
            svg.WriteAttributeString("font-family", "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif");
            svg.WriteAttributeString("font-size", "12");
            Rect(svg, "background", 0, 0, Width, height, "#ffffff");

            var machine = result.Machine;
            var settings = result.Settings;
            Text(svg, Margin, 26, $"{Ours} against {Peer}", size: 16, bold: true);
            Text(
                svg,
                Margin,
                46,
                $"{settings.Mode} mode, medians of {settings.Repetitions} repetition(s) · commit {machine.Commit ?? "unknown"} · {machine.StartedAt:yyyy-MM-dd}",
                colour: "#4b5563");
            Text(
                svg,
                Margin,
                62,
                $"{machine.Cores} cores, {machine.OperatingSystem}, PostgreSQL {machine.PostgresVersion}; accept load from {machine.LoadGenerator}",
                colour: "#4b5563");
            Legend(svg, Margin, 84, PeerColour, Peer);
            Legend(svg, Margin + 170, 84, OursColour, Ours);

            var top = HeaderHeight;
            foreach (var (figure, peer, ours) in figures)
            {
                Panel(svg, top, figure, peer, ours);
                top += PanelHeight;
            }

            svg.WriteEndElement();
        }

        return text.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/>, making its folder if need be.</summary>
    public static async Task WriteAsync(BenchmarkResult result, string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        await File.WriteAllTextAsync(path, Render(result));
    }

    private static IEnumerable<Figure> FiguresOf(BenchmarkResult result)
    {
        var settings = result.Settings;
        foreach (var connections in settings.AcceptConnections)
        {
            yield return new Figure(
                $"Accept, {connections} connections", "req/s", HigherIsBetter: true, r => r.Accept.Single(a => a.Connections == connections).Load.RequestsPerSecond);
        }

        yield return new Figure(
            $"End to end, {settings.EndToEndRequests:N0} requests", "completions/s", HigherIsBetter: true, r => r.EndToEnd.CompletionsPerSecond);
        yield return new Figure(
            $"Backlog drain, {settings.BacklogRequests:N0} requests", "completions/s", HigherIsBetter: true, r => r.Backlog?.CompletionsPerSecond ?? double.NaN);
        yield return new Figure(
            "CPU per 1,000 requests end to end, all processes", "CPU-s", HigherIsBetter: false, r => r.EndToEnd.CpuSecondsPer1000);
        yield return new Figure(
            $"Light load ({settings.LightLoadRatePerSecond.ToString(CultureInfo.InvariantCulture)} req/s), accept → done p99", "ms", HigherIsBetter: false,
            r => r.LightLoad.DoneP99Ms);
        yield return new Figure(
            "Peak memory, service processes", "MiB", HigherIsBetter: false, r => r.Processes.Where(p => p.IsService).Sum(p => p.PeakMemoryMiB));
    }

    private static void Panel(XmlWriter svg, int top, Figure figure, double peer, double ours)
    {
        svg.WriteStartElement("g");
        svg.WriteAttributeString("class", "figure");
        svg.WriteElementString("title", figure.Title);
        if (top > HeaderHeight)
        {
            Line(svg, top - 6);
        }

        Text(svg, Margin, top + 14, figure.Title, bold: true);
        var ratio = ours / peer;
        Text(
            svg,
            Width - Margin,
            top + 14,
            $"{figure.Unit}, {(figure.HigherIsBetter ? "higher" : "lower")} is better"
            + (double.IsFinite(ratio) ? $" · ours/peer {ratio.ToString("0.00", CultureInfo.InvariantCulture)}" : ""),
            colour: "#4b5563",
            anchor: "end");

        var scale = Math.Max(peer, ours);
        Bar(svg, top + 24, Peer, PeerColour, peer, scale, figure.Unit);
        Bar(svg, top + 24 + BarHeight + 6, Ours, OursColour, ours, scale, figure.Unit);
        svg.WriteEndElement();
    }

    // A bar too short to be seen still gets a sliver, so that both systems always show one.
    private static void Bar(XmlWriter svg, int y, string system, string colour, double value, double scale, string unit)
    {
        var width = scale > 0 ? Math.Max(2, value / scale * BarsMaxWidth) : 2;
        Text(svg, BarsLeft - 8, y + 13, system, anchor: "end");
        svg.WriteStartElement("rect");
        svg.WriteAttributeString("class", "bar");
        svg.WriteAttributeString("data-system", system);
        svg.WriteAttributeString("x", Number(BarsLeft));
        svg.WriteAttributeString("y", Number(y));
        svg.WriteAttributeString("width", Number(width));
        svg.WriteAttributeString("height", Number(BarHeight));
        svg.WriteAttributeString("rx", "2");
        svg.WriteAttributeString("fill", colour);
        svg.WriteElementString("title", $"{system}: {MarkdownReport.Format(value)} {unit}");
        svg.WriteEndElement();
        Text(svg, BarsLeft + width + 6, y + 13, MarkdownReport.Format(value), bold: true);
    }

    private static void Legend(XmlWriter svg, int x, int y, string colour, string system)
    {
        Rect(svg, "legend", x, y - 10, 12, 12, colour);
        Text(svg, x + 18, y, system);
    }

    private static void Rect(XmlWriter svg, string role, double x, double y, double width, double height, string fill)
    {
        svg.WriteStartElement("rect");
        svg.WriteAttributeString("class", role);
        svg.WriteAttributeString("x", Number(x));
        svg.WriteAttributeString("y", Number(y));
        svg.WriteAttributeString("width", Number(width));
        svg.WriteAttributeString("height", Number(height));
        svg.WriteAttributeString("fill", fill);
        svg.WriteEndElement();
    }

    private static void Line(XmlWriter svg, double y)
    {
        svg.WriteStartElement("line");
        svg.WriteAttributeString("x1", Number(Margin));
        svg.WriteAttributeString("x2", Number(Width - Margin));
        svg.WriteAttributeString("y1", Number(y));
        svg.WriteAttributeString("y2", Number(y));
        svg.WriteAttributeString("stroke", "#e5e7eb");
        svg.WriteEndElement();
    }

    private static void Text(
        XmlWriter svg, double x, double y, string content, int size = 12, bool bold = false, string colour = "#111827", string anchor = "start")
    {
        svg.WriteStartElement("text");
        svg.WriteAttributeString("x", Number(x));
        svg.WriteAttributeString("y", Number(y));
        if (size != 12)
        {
            svg.WriteAttributeString("font-size", Number(size));
        }

        if (bold)
        {
            svg.WriteAttributeString("font-weight", "bold");
        }

        if (anchor != "start")
        {
            svg.WriteAttributeString("text-anchor", anchor);
        }

        svg.WriteAttributeString("fill", colour);
        svg.WriteString(content);
        svg.WriteEndElement();
    }

    private static double Median(BenchmarkResult result, string system, Func<SystemRun, double> value) =>
        Statistics.Median([.. result.Runs.Where(r => r.System == system).Select(value)]);

    private static string Number(double value) => Math.Round(value, 1).ToString(CultureInfo.InvariantCulture);
}
