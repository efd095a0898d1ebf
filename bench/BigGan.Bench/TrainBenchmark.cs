using System.Diagnostics;
using BigGan.Torch;
using BigGan.Training.Model;
using BigGan.Training.Training;

namespace BigGan.Bench;

/// <summary>
/// Seconds per training iteration (D steps + G step + EMA) in the reference's CIFAR arrangement: --ch is the channel
/// multiplier (every 32×32 G block has 4·ch channels), no attention, per-class cBN tables, a single z, EMA on,
/// N(0, 0.02) init. Prints train_s_per_iter (median), peak_rss_mb, and with --rss-iterations N the RSS growth over
/// N further iterations (rss_growth_pct), plus the machine's conv reference rate for context.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        int resolution = o.Int("resolution", 32), ch = o.Int("ch", 16), batch = o.Int("batch-size", 64), dSteps = o.Int("d-steps", 2);
        int iterations = o.Int("iterations", 5), warmup = o.Int("warmup", 1), threads = o.Int("threads", 2), rssIterations = o.Int("rss-iterations", 0);
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
                var before = Report.RssMb();
                for (int i = 0; i < rssIterations; i++) trainer.TrainStep();
                var after = Report.RssMb();
                Report.Figure("rss_growth_pct", 100 * (after - before) / before, "%", new Dictionary<string, object>(config) { ["iterations"] = rssIterations, ["rss_before_mb"] = Math.Round(before, 1), ["rss_after_mb"] = Math.Round(after, 1) });
            }
            Report.Figure("peak_rss_mb", Report.PeakRssMb(), "MiB", config);
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
        return 0;
    }
}
