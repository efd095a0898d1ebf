using BigGan.Training.IO;
using BigGan.Training.Tests.Support;
using SkiaSharp;
using TorchSharp;

namespace BigGan.Training.Tests.IO;

/// <summary>The PNG line charts of `biggan plot`: nice ticks, lines where their points are, bad input refused.</summary>
[TestClass]
public sealed class LineChartTests : TempDirTest
{
    [TestMethod]
    public void TicksAreOneTwoOrFiveTimesAPowerOfTenAndCoverTheRange()
    {
        CollectionAssert.AreEqual(new[] { 0.4, 0.5, 0.6, 0.7, 0.8, 0.9 }, LineChart.Ticks(0.43, 0.87));
        CollectionAssert.AreEqual(new[] { 0.0, 10, 20, 30, 40, 50, 60 }, LineChart.Ticks(3, 60));
        CollectionAssert.AreEqual(new[] { 20.0, 25, 30, 35, 40, 45 }, LineChart.Ticks(21.5, 44.2));
    }

    [TestMethod]
    public void EachSeriesIsDrawnInItsColourRisingOrFallingAsItsPoints()
    {
        var path = Path.Combine(_dir, "chart.png");
        var rising = new ChartSeries("rising", [(0, 0.1), (10, 0.5), (20, 0.9)]);
        var falling = new ChartSeries("falling", [(0, 40), (20, 10)]);
        LineChart.WritePng(path, [new ChartPanel("a", [rising], Target: 0.95), new ChartPanel("b", [falling])], "minutes");

        using var image = ImageCodec.Read(path, ImageReadMode.Rgb); // [3, H, W]
        Assert.AreEqual(320L, image.size(1));
        Assert.AreEqual(840L, image.size(2));
        // Rows of the pixels of a series' colour, in the left and right halves of its panel.
        (double left, double right) MeanRows(SKColor colour, int panel)
        {
            var rows = new List<(int x, int y)>();
            var px = image.data<byte>().ToArray();
            int h = 320, w = 840;
            for (int y = 0; y < h; y++)
                for (int x = panel * 420 + 100; x < (panel + 1) * 420 - 16; x++) // right of the legend's swatches
                    if (Math.Abs(px[y * w + x] - colour.Red) + Math.Abs(px[h * w + y * w + x] - colour.Green) + Math.Abs(px[2 * h * w + y * w + x] - colour.Blue) < 60)
                        rows.Add((x - panel * 420, y));
            Assert.IsTrue(rows.Count > 200, $"series drawn in colour {colour}: {rows.Count} pixels");
            return (rows.Where(r => r.x < 260).Average(r => r.y), rows.Where(r => r.x >= 260).Average(r => r.y));
        }
        var (l0, r0) = MeanRows(LineChart.Palette[0], 0); // colours follow the series' first appearance
        var (l1, r1) = MeanRows(LineChart.Palette[1], 1);
        Assert.IsTrue(r0 < l0 - 40, $"rising line: right half higher on the image (rows {l0:F0} → {r0:F0})");
        Assert.IsTrue(r1 > l1 + 40, $"falling line: right half lower on the image (rows {l1:F0} → {r1:F0})");
    }

    [TestMethod]
    public void NonFinitePointsAndEmptyChartsAreRefusedAndNothingIsWritten()
    {
        var path = Path.Combine(_dir, "chart.png");
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            LineChart.WritePng(path, [new ChartPanel("fid", [new ChartSeries("run", [(0, double.NaN)])])], "minutes"));
        StringAssert.Contains(e.Message, "panel 'fid', series 'run': every point must be finite");
        Assert.ThrowsExactly<ArgumentException>(() => LineChart.WritePng(path, [], "minutes"));
        var many = Enumerable.Range(0, 100).Select(i => new ChartPanel($"p{i}", [new ChartSeries("run", [(0, 1)])])).ToList();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => LineChart.WritePng(path, many, "minutes")).Message, "at most 16000");
        Assert.IsFalse(File.Exists(path));
    }

    private static (int code, string text) Plot(params string[] args)
    {
        using var p = CliProcess.Start(["plot", .. args]);
        return (p.WaitForExit(TimeSpan.FromMinutes(2)), p.Text);
    }

    [TestMethod]
    public void PlotCommandDrawsAPanelPerFieldAndNamesBadLines()
    {
        var curve = Path.Combine(_dir, "curve.jsonl");
        File.WriteAllLines(curve,
        [
            """{"series": "recipe", "minutes": 10, "evaluation": {"scores": {"cas": 0.5, "fid": 40}}}""",
            """{"series": "recipe", "minutes": 20, "evaluation": {"scores": {"cas": 0.7, "fid": 20}}}""",
            """{"series": "reference", "minutes": 10, "evaluation": {"scores": {"cas": 0.4, "fid": 50}}}""",
            "",
        ]);
        var png = Path.Combine(_dir, "curve.png");
        var (code, text) = Plot("--in", curve, "--series", "series", "--y", "cas,evaluation.scores.fid", "--target", "cas=0.8", "--out", png);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "2 panel(s), 2 series, 3 points");
        using (var image = ImageCodec.Read(png)) Assert.AreEqual(840L, image.size(2));

        File.AppendAllText(curve, "{\"series\": \"recipe\", \"minutes\": 30,\n");
        (code, text) = Plot("--in", curve, "--series", "series", "--y", "cas", "--out", png);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "curve.jsonl, line 5: not JSON");
        (code, text) = Plot("--in", curve, "--y", "cas", "--target", "fid=3", "--out", png);
        StringAssert.Contains(text, "--target fid=3: 'fid' is not one of the --y fields (cas)");
        File.WriteAllText(curve, """{"minutes": 1, "loss": 2}""");
        (code, text) = Plot("--in", curve, "--y", "cas", "--out", png);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "no line has both 'minutes' and 'cas' as numbers");
    }
}
