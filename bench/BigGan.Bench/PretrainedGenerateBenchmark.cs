using System.Diagnostics;
using BigGan.Training.Import;

namespace BigGan.Bench;

/// <summary>
/// `pretrained-generate [--model biggan-deep-128] [--batch 4] [--threads 2] [--warmup 1] [--repeat 3] [--truncation 0.4]`:
/// a Hugging Face BigGAN (<see cref="HuggingFaceBigGan"/>) of the published size (biggan-deep-128, -256 or -512, the
/// configurations of pytorch-pretrained-BigGAN's converter) with random weights, so no download is needed: its
/// parameter count, the time to build it, images per second (median batch) and the process's peak resident memory.
/// </summary>
public sealed class PretrainedGenerateBenchmark : IBenchmark
{
    public string Name => "pretrained-generate";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        var model = o.GetValueOrDefault("model", "biggan-deep-128");
        int batch = o.Int("batch", 4), threads = o.Int("threads", 2), warmup = o.Int("warmup", 1), repeat = o.Int("repeat", 3);
        var truncation = o.Double("truncation", 0.4);
        torch.set_num_threads(threads);
        var config = Published(model);

        var sw = Stopwatch.StartNew();
        var rng = new Random(0);
        var tensors = new Dictionary<string, torch.Tensor>();
        foreach (var (name, shape) in HuggingFaceBigGan.ExpectedShapes(config))
        {
            tensors[name] = name.EndsWith("running_vars", StringComparison.Ordinal) ? torch.ones(shape)
                : name.EndsWith("running_means", StringComparison.Ordinal) ? torch.zeros(shape)
                : torch.randn(shape).mul_(0.05);
        }
        long parameters = tensors.Values.Sum(t => t.numel());
        using var g = new HuggingFaceBigGan(config, tensors, model + " (random weights)");
        foreach (var t in tensors.Values) t.Dispose();
        var buildSeconds = sw.Elapsed.TotalSeconds;
        var context = new Dictionary<string, object> { ["model"] = model, ["batch"] = batch, ["threads"] = threads, ["params"] = parameters, ["truncation"] = truncation };

        using var z = torch.randn(batch, config.ZDim).clamp_(-2, 2).mul_(truncation);
        using var y = torch.nn.functional.one_hot(torch.tensor(Enumerable.Range(0, batch).Select(i => (long)(i * 7 % config.NumClasses)).ToArray()), config.NumClasses).to(torch.ScalarType.Float32);
        var times = new List<double>();
        using (torch.inference_mode())
        {
            for (int i = 0; i < warmup + repeat; i++)
            {
                sw.Restart();
                using var images = g.Forward(z, y, truncation);
                if (i >= warmup) times.Add(sw.Elapsed.TotalSeconds);
            }
        }
        Report.Figure("pretrained_build_s", buildSeconds, "s", context);
        Report.Figure("pretrained_images_per_s", batch / Report.Median(times), "images/s", context);
        Report.Figure("pretrained_peak_rss_mb", Report.PeakRssMb(), "MiB", context);
        return 0;
    }

    // pytorch-pretrained-BigGAN's convert_tf_to_pytorch.py configurations.
    private static HuggingFaceBigGanConfig Published(string model)
    {
        HuggingFaceLayer[] Layers(params (bool up, int i, int o)[] ls) => ls.Select(l => new HuggingFaceLayer(l.up, l.i, l.o)).ToArray();
        var common = new[] { (false, 16, 16), (true, 16, 16), (false, 16, 16), (true, 16, 8), (false, 8, 8) };
        var (dim, layers) = model switch
        {
            "biggan-deep-128" => (128, Layers([.. common, (true, 8, 4), (false, 4, 4), (true, 4, 2), (false, 2, 2), (true, 2, 1)])),
            "biggan-deep-256" => (256, Layers([.. common, (true, 8, 8), (false, 8, 8), (true, 8, 4), (false, 4, 4), (true, 4, 2), (false, 2, 2), (true, 2, 1)])),
            "biggan-deep-512" => (512, Layers([.. common, (true, 8, 8), (false, 8, 8), (true, 8, 4), (false, 4, 4), (true, 4, 2), (false, 2, 2), (true, 2, 1), (false, 1, 1), (true, 1, 1)])),
            _ => throw new ArgumentException($"--model {model}: expected biggan-deep-128, biggan-deep-256 or biggan-deep-512"),
        };
        return new HuggingFaceBigGanConfig { OutputDim = dim, ZDim = 128, ChannelWidth = 128, NumClasses = 1000, Layers = layers, AttentionLayerPosition = 8, Eps = 1e-4, NStats = 51 }
            .Validate(model);
    }
}
