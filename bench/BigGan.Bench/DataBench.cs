using System.Diagnostics;
using BigGan.Training.Data;

namespace BigGan.Bench;

/// <summary>
/// `data [--data fashion-mnist] [--resolution 32] [--batch-size 64] [--iterations 300] [--pause-ms 2]`: time to open a dataset and
/// the trainer-side cost of ShuffledBatchSource.Next, with background prefetch (the trainer's case: a pause of
/// --pause-ms stands for the training step) and synchronous.
/// </summary>
public sealed class DataBench : IBenchmark
{
    public string Name => "data";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        string spec = o.GetValueOrDefault("data", "fashion-mnist");
        int resolution = o.Int("resolution", 32), batch = o.Int("batch-size", 64), iterations = o.Int("iterations", 300), pause = o.Int("pause-ms", 2);
        torch.set_num_threads(o.Int("threads", 1));
        var context = new Dictionary<string, object> { ["data"] = spec, ["resolution"] = resolution, ["batch_size"] = batch };

        var sw = Stopwatch.StartNew();
        var dataset = Datasets.Open(spec, resolution);
        Report.Figure("data_open_s", sw.Elapsed.TotalSeconds, "s", context);

        foreach (int prefetch in new[] { 4, 0 })
        {
            using var source = new ShuffledBatchSource(dataset, new BatchSourceOptions { Seed = 0, HorizontalFlip = true, PrefetchBatches = prefetch });
            var times = new List<double>();
            for (int i = 0; i < iterations + 10; i++)
            {
                if (prefetch > 0) Thread.Sleep(pause);
                sw.Restart();
                using (var scope = torch.NewDisposeScope()) source.Next(batch);
                if (i >= 10) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            var sorted = times.Order().ToArray();
            var extra = new Dictionary<string, object>(context) { ["prefetch_batches"] = prefetch, ["pause_ms"] = prefetch > 0 ? pause : 0, ["p95_ms"] = Math.Round(sorted[(int)(0.95 * (sorted.Length - 1))], 4) };
            Report.Figure(prefetch > 0 ? "data_next_ms" : "data_next_sync_ms", Report.Median(times), "ms", extra);
        }
        return 0;
    }
}
