using System.Diagnostics;
using BigGan.Training.Model;
using BigGan.Training.Training;

namespace BigGan.Bench;

/// <summary>
/// Seconds per training iteration (D steps + G step + EMA) in the reference's CIFAR arrangement: --ch is the channel
/// multiplier (every 32×32 G block has 4·ch channels), no attention, per-class cBN tables, a single z, EMA on,
/// N(0, 0.02) init. Prints train_s_per_iter (median), peak_rss_mb, and with --rss-iterations N the RSS growth (after --rss-warmup, default 100, iterations) over
/// N further iterations (rss_growth_pct), plus the machine's conv reference rate for context.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";

    /// <summary>
    /// Convolution FLOPs of one iteration in the reference's formulation (CIFAR arrangement at 32×32, C = 4·ch):
    /// each D step runs G forward on B and D forward+backward on 2B (backward ≈ 2× forward); the G step runs G and D
    /// forward+backward on the G batch (D's weight gradients are not needed: ≈ 2× forward for D).
    /// </summary>
    private static double ConvGflopPerIteration(int ch, int batch, int dSteps, int gBatch)
    {
        double c = 4 * ch;
        double Conv(double n, double cin, double cout, double k, double res) => 2 * n * cin * cout * k * k * res * res;
        double G(double n) =>
            new[] { 8, 16, 32 }.Sum(r => 2 * Conv(n, c, c, 3, r) + Conv(n, c, c, 1, r)) + Conv(n, c, 3, 3, 32);
        double D(double n) =>
            Conv(n, 3, c, 3, 32) + Conv(n, c, c, 3, 32) + Conv(n, 3, c, 1, 16)
            + 2 * Conv(n, c, c, 3, 16) + Conv(n, c, c, 1, 16)
            + 4 * Conv(n, c, c, 3, 8);
        return (dSteps * (G(batch) + 3 * D(2 * batch)) + 3 * G(gBatch) + 2 * D(gBatch)) / 1e9;
    }

    private static double AchievableConvGflops()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([64, 128, 32, 32]).contiguous(MemoryFormat.ChannelsLast).requires_grad_();
        var w = torch.randn([128, 128, 3, 3]).contiguous(MemoryFormat.ChannelsLast).requires_grad_();
        var times = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            using var inner = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            torch.nn.functional.conv2d(x, w, padding: [1, 1]).sum().backward();
            if (i > 0) times.Add(sw.Elapsed.TotalSeconds);
        }
        return 3 * 2.0 * 64 * 128 * 128 * 9 * 32 * 32 / Report.Median(times) / 1e9;
    }

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        int resolution = o.Int("resolution", 32), ch = o.Int("ch", 16), batch = o.Int("batch-size", 64), dSteps = o.Int("d-steps", 2);
        int iterations = o.Int("iterations", 5), warmup = o.Int("warmup", 1), threads = o.Int("threads", 2), rssIterations = o.Int("rss-iterations", 0), rssWarmup = o.Int("rss-warmup", 100);
        torch.set_num_threads(threads);
        var model = ModelConfig.Cifar(numClasses: 10, channels: 3, ch: ch) with { Resolution = resolution };
        var train = new TrainConfig { BatchSize = batch, DSteps = dSteps, EmaStart = 0, Iterations = long.MaxValue, Seed = 0, Threads = threads, SaveEvery = long.MaxValue };
        var config = new Dictionary<string, object> { ["resolution"] = resolution, ["ch"] = ch, ["batch_size"] = batch, ["d_steps"] = dSteps, ["threads"] = threads };
        var runDir = Directory.CreateTempSubdirectory("biggan-bench-").FullName;
        try
        {
            using var data = new RandomBatchSource(10, 3, resolution);
            using var trainer = new BigGanTrainer(new RunConfig(model, train), data, runDir);
            for (int i = 0; i < warmup; i++) trainer.TrainStep();
            var times = new List<double>();
            for (int i = 0; i < iterations; i++)
            {
                var sw = Stopwatch.StartNew();
                trainer.TrainStep();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            Report.Figure("train_s_per_iter", Report.Median(times), "s", config);
            if (rssIterations > 0)
            {
                // The allocator settles during the first iterations (malloc keeps freed large blocks for reuse instead
                // of unmapping them): the baseline is taken after --rss-warmup iterations.
                for (int i = 0; i < rssWarmup; i++) trainer.TrainStep();
                var before = Report.RssMb();
                for (int i = 1; i <= rssIterations; i++)
                {
                    trainer.TrainStep();
                    // Progress on stderr so a long run that is cut short still shows the trend.
                    if (i % 100 == 0) Console.Error.WriteLine($"rss after {i} iterations: {Report.RssMb():F1} MiB (before {before:F1})");
                }
                var after = Report.RssMb();
                Report.Figure("rss_growth_pct", 100 * (after - before) / before, "%", new Dictionary<string, object>(config) { ["iterations"] = rssIterations, ["rss_warmup_iterations"] = rssWarmup, ["rss_before_mb"] = Math.Round(before, 1), ["rss_after_mb"] = Math.Round(after, 1) });
            }
            Report.Figure("peak_rss_mb", Report.PeakRssMb(), "MiB", config);

            // How much of the step the convolutions would take at this machine's achievable conv rate.
            var achievable = AchievableConvGflops();
            var convGflop = ConvGflopPerIteration(ch, batch, dSteps, train.EffectiveGBatchSize) ;
            Report.Figure("conv_achievable_gflops", achievable, "GFLOP/s", new Dictionary<string, object> { ["shape"] = "N64 C128->128 32x32 3x3 fwd+bwd, channels-last", ["threads"] = threads });
            Report.Figure("conv_share_pct", 100 * convGflop / achievable / Report.Median(times), "%",
                new Dictionary<string, object>(config) { ["conv_gflop_per_iter"] = Math.Round(convGflop, 2), ["note"] = "reference-formulation conv FLOPs at the achievable rate / measured step time" });
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
        return 0;
    }
}
