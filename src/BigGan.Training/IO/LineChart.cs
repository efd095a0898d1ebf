using System.Globalization;
using SkiaSharp;

namespace BigGan.Training.IO;

/// <summary>One line of a chart: its name (the legend) and its (x, y) points, drawn in x order.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>One panel of a chart: a title (the y quantity), its lines, and optionally a target drawn as a dashed line.</summary>
public sealed record ChartPanel(string Title, IReadOnlyList<ChartSeries> Series, double? Target = null);

/// <summary>
/// Line charts as PNG files (SkiaSharp): panels side by side sharing an x label, each with its own y axis, grid, the
/// lines with point markers, an optional target line, and the legend in the first panel. Enough to put a training
/// curve in a README without a plotting package; series keep the same colour in every panel.
/// </summary>
public static class LineChart
{
    /// <summary>Series colours, in order (colour-blind friendly: Okabe and Ito's palette).</summary>
    public static readonly IReadOnlyList<SKColor> Palette =
    [
        new(0x00, 0x72, 0xB2), new(0xD5, 0x5E, 0x00), new(0x00, 0x9E, 0x73), new(0xCC, 0x79, 0xA7),
        new(0xE6, 0x9F, 0x00), new(0x56, 0xB4, 0xE9), new(0x00, 0x00, 0x00),
    ];

    private const int Left = 62, Right = 16, Top = 34, Bottom = 48, MaxWidth = 16_000;

    /// <summary>Writes the chart atomically as a PNG of panels.Count × <paramref name="panelWidth"/> by
    /// <paramref name="height"/> pixels.</summary>
    public static void WritePng(string path, IReadOnlyList<ChartPanel> panels, string xLabel, int panelWidth = 420, int height = 320)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("a chart needs at least one panel", nameof(panels));
        if (panelWidth < 160 || height < 120 || panelWidth > 4000 || height > 4000)
            throw new ArgumentOutOfRangeException(nameof(panelWidth), $"panel size {panelWidth}×{height}: expected 160–4000 × 120–4000 pixels");
        var names = panels.SelectMany(p => p.Series).Select(s => s.Name).Distinct().ToList();
        foreach (var panel in panels)
            foreach (var s in panel.Series)
                if (s.Points.Any(p => !double.IsFinite(p.X) || !double.IsFinite(p.Y)))
                    throw new ArgumentException($"panel '{panel.Title}', series '{s.Name}': every point must be finite");

        if ((long)panelWidth * panels.Count > MaxWidth)
            throw new ArgumentException($"{panels.Count} panels of {panelWidth} pixels make a {(long)panelWidth * panels.Count}-pixel-wide chart; at most {MaxWidth} (plot fewer fields)", nameof(panels));
        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * panels.Count, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not make a {panelWidth * panels.Count}×{height} surface");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var font = new SKFont(typeface, 12);
        using var titleFont = new SKFont(typeface, 14) { Embolden = true };
        for (int i = 0; i < panels.Count; i++)
            DrawPanel(canvas, panels[i], new SKRect(i * panelWidth, 0, (i + 1) * panelWidth, height), xLabel, names, font, titleFont, legend: i == 0);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    private static void DrawPanel(SKCanvas canvas, ChartPanel panel, SKRect area, string xLabel, List<string> names, SKFont font, SKFont titleFont, bool legend)
    {
        var plot = new SKRect(area.Left + Left, area.Top + Top, area.Right - Right, area.Bottom - Bottom);
        var points = panel.Series.SelectMany(s => s.Points).ToList();
        var ys = points.Select(p => p.Y).Concat(panel.Target is { } t ? [t] : []).ToList();
        var (x0, x1) = Range(points.Select(p => p.X).DefaultIfEmpty(0));
        var (y0, y1) = Range(ys.DefaultIfEmpty(0));
        (y0, y1) = (y0 - 0.04 * (y1 - y0), y1 + 0.04 * (y1 - y0)); // headroom: no line or target on the frame
        var xTicks = Ticks(x0, x1);
        var yTicks = Ticks(y0, y1);
        (x0, x1) = (Math.Min(x0, xTicks[0]), Math.Max(x1, xTicks[^1]));
        (y0, y1) = (Math.Min(y0, yTicks[0]), Math.Max(y1, yTicks[^1]));
        SKPoint Map(double x, double y) => new(
            plot.Left + (float)((x - x0) / (x1 - x0)) * plot.Width,
            plot.Bottom - (float)((y - y0) / (y1 - y0)) * plot.Height);

        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(0xE0, 0xE0, 0xE0), StrokeWidth = 1 };
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        foreach (var v in xTicks)
        {
            var p = Map(v, y0);
            canvas.DrawLine(p.X, plot.Top, p.X, plot.Bottom, grid);
            canvas.DrawText(Format(v, xTicks), p.X, plot.Bottom + 16, SKTextAlign.Center, font, text);
        }
        foreach (var v in yTicks)
        {
            var p = Map(x0, v);
            canvas.DrawLine(plot.Left, p.Y, plot.Right, p.Y, grid);
            canvas.DrawText(Format(v, yTicks), plot.Left - 6, p.Y + 4, SKTextAlign.Right, font, text);
        }
        canvas.DrawRect(plot, axis);
        canvas.DrawText(panel.Title, plot.MidX, area.Top + 20, SKTextAlign.Center, titleFont, text);
        canvas.DrawText(xLabel, plot.MidX, area.Bottom - 10, SKTextAlign.Center, font, text);

        if (panel.Target is { } target)
        {
            using var dashes = SKPathEffect.CreateDash([6, 4], 0);
            using var targetPaint = new SKPaint { Color = new SKColor(0x80, 0x80, 0x80), StrokeWidth = 1.5f, Style = SKPaintStyle.Stroke, PathEffect = dashes, IsAntialias = true };
            var p = Map(x0, target);
            canvas.DrawLine(plot.Left, p.Y, plot.Right, p.Y, targetPaint);
            canvas.DrawText($"target {Format(target, yTicks)}", plot.Right - 4, p.Y - 4, SKTextAlign.Right, font, text);
        }

        foreach (var series in panel.Series)
        {
            var color = Palette[names.IndexOf(series.Name) % Palette.Count];
            using var line = new SKPaint { Color = color, StrokeWidth = 2, Style = SKPaintStyle.Stroke, IsAntialias = true };
            using var marker = new SKPaint { Color = color, Style = SKPaintStyle.Fill, IsAntialias = true };
            var mapped = series.Points.OrderBy(p => p.X).Select(p => Map(p.X, p.Y)).ToArray();
            for (int i = 1; i < mapped.Length; i++) canvas.DrawLine(mapped[i - 1], mapped[i], line);
            foreach (var p in mapped) canvas.DrawCircle(p, 3.5f, marker);
        }

        if (!legend) return;
        float ly = plot.Top + 16;
        for (int i = 0; i < names.Count; i++)
        {
            using var swatch = new SKPaint { Color = Palette[i % Palette.Count], StrokeWidth = 3 };
            canvas.DrawLine(plot.Left + 8, ly - 4, plot.Left + 26, ly - 4, swatch);
            canvas.DrawText(names[i], plot.Left + 32, ly, SKTextAlign.Left, font, text);
            ly += 16;
        }
    }

    // The data's range, widened when flat so a constant line sits mid-panel.
    private static (double lo, double hi) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        double lo = list.Min(), hi = list.Max();
        if (hi - lo < 1e-12) { var pad = Math.Max(Math.Abs(lo) * 0.1, 1e-3); (lo, hi) = (lo - pad, hi + pad); }
        return (lo, hi);
    }

    /// <summary>Four to seven "nice" tick values (1, 2 or 5 × 10^k apart) covering [lo, hi].</summary>
    public static double[] Ticks(double lo, double hi)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10((hi - lo) / 10)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0 }.Select(m => m * magnitude)
            .First(s => Math.Ceiling(hi / s - 1e-9) - Math.Floor(lo / s + 1e-9) <= 6);
        var first = Math.Floor(lo / step + 1e-9) * step;
        var count = (int)Math.Ceiling((hi - first) / step - 1e-9) + 1;
        return Enumerable.Range(0, count).Select(i => Math.Round(first + i * step, 12)).ToArray();
    }

    private static string Format(double v, double[] ticks)
    {
        var step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        var decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(step) - 1e-9), 0, 6);
        return v.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
