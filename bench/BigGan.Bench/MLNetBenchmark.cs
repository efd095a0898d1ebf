using System.Diagnostics;
using System.Globalization;
using BigGan.MLNet;
using BigGan.Training.Model;
using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.Bench;

/// <summary>
/// `mlnet [--rows 256] [--batch 16] [--ch 16] [--threads 1] [--rounds 3] [--loaded-rows 64]`: images per second of
/// GenerateBigGanImages over request rows (LoadFromBigGan without pixels, then the transform, read through a cursor)
/// against the C# sampler rendering the same rows in batches of --batch directly, same generator (the 32×32 CIFAR
/// layout, 10 classes, grayscale) and same torch threads; the two alternate in --rounds rounds. Also the rate of the
/// same pipeline saved and loaded (the per-row chain a zip holds) on --loaded-rows rows. Prints mlnet_images_per_s,
/// sampler_images_per_s (with their ratio), mlnet_loaded_images_per_s, and the 1-minute load average.
/// </summary>
public sealed class MLNetBenchmark : IBenchmark
{
    public string Name => "mlnet";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        int rows = o.Int("rows", 256), batch = o.Int("batch", 16), ch = o.Int("ch", 16), threads = o.Int("threads", 1);
        int rounds = o.Int("rounds", 3), loadedRows = o.Int("loaded-rows", 64);
        torch.set_num_threads(threads);
        double load0 = LoadAverage();
        using var rng = new torch.Generator(0);
        var g = new BigGan.Training.Model.Generator(ModelConfig.Cifar(numClasses: 10, channels: 1, ch: ch), rng);
        g.eval();
        using var sampler = new BigGanSampler(g, ownsGenerator: true);
        var image = new SyntheticImageOptions { BatchSize = batch };

        var ml = new MLContext(seed: 1);
        var requests = ml.Data.LoadFromBigGan(sampler, rows, new BigGanDataOptions { BaseSeed = 1, IncludePixels = false, BatchSize = batch });
        var model = ml.Transforms.GenerateBigGanImages(sampler, options: image).Fit(requests);
        var renderer = new SyntheticImageRenderer(sampler, image);
        var seeds = new ulong[rows];
        var classes = new int[rows];
        for (int i = 0; i < rows; i++) { seeds[i] = (ulong)(1000 + i); classes[i] = i % 10; }
        var pixels = new float[rows * renderer.PixelsPerImage];

        var mlnetTimes = new List<double>();
        var samplerTimes = new List<double>();
        var sw = new Stopwatch();
        for (int round = 0; round < rounds + 1; round++) // round 0 warms up both
        {
            sw.Restart();
            int n = Drain(model.Transform(requests), BigGanColumns.Pixels);
            if (round > 0) mlnetTimes.Add(sw.Elapsed.TotalSeconds);
            if (n != rows) throw new InvalidOperationException($"read {n} rows, expected {rows}");
            sw.Restart();
            renderer.Render(seeds, classes, pixels);
            if (round > 0) samplerTimes.Add(sw.Elapsed.TotalSeconds);
        }

        // The saved model generates one row at a time (what a zip can hold).
        using var zip = new MemoryStream();
        ml.Model.Save(model, requests.Schema, zip);
        zip.Position = 0;
        var loaded = ml.Model.Load(zip, out _);
        var few = ml.Data.TakeRows(requests, loadedRows);
        sw.Restart();
        Drain(loaded.Transform(few), BigGanColumns.Pixels);
        double loadedRate = loadedRows / sw.Elapsed.TotalSeconds;

        double mlnet = rows / Report.Median(mlnetTimes), direct = rows / Report.Median(samplerTimes);
        var context = new Dictionary<string, object>
        {
            ["rows"] = rows, ["batch"] = batch, ["ch"] = ch, ["resolution"] = 32, ["channels"] = 1, ["threads"] = threads,
            ["rounds"] = rounds, ["cores"] = Environment.ProcessorCount, ["loadavg_1m_before"] = load0, ["loadavg_1m_after"] = LoadAverage(),
        };
        Report.Figure("mlnet_images_per_s", mlnet, "images/s", new Dictionary<string, object>(context)
        {
            ["sampler_images_per_s"] = Math.Round(direct, 2), ["ratio_to_sampler"] = Math.Round(mlnet / direct, 3),
            ["round_s"] = mlnetTimes.Select(t => Math.Round(t, 3)).ToArray(),
        });
        Report.Figure("sampler_images_per_s", direct, "images/s", new Dictionary<string, object>(context)
        {
            ["round_s"] = samplerTimes.Select(t => Math.Round(t, 3)).ToArray(),
        });
        Report.Figure("mlnet_loaded_images_per_s", loadedRate, "images/s", new Dictionary<string, object>(context) { ["rows"] = loadedRows, ["note"] = "saved and loaded: one row per generator call" });
        return 0;
    }

    private static int Drain(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> v = default;
        int n = 0;
        while (cursor.MoveNext()) { getter(ref v); n++; }
        return n;
    }

    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }
}
