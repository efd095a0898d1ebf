using BigGan.OnnxRuntime;
using System.Diagnostics;
using BigGan.Training.Model;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;

namespace BigGan.Bench;

/// <summary>
/// `generate [--resolution 32] [--ch 32] [--batch 64] [--threads 2] [--warmup 1] [--repeat 3] [--rounds 3] [--module] [--skip-ort] [--reference-onnx FILE]`:
/// images per second of a randomly initialised generator in eval mode, through the C# API
/// (<see cref="BigGanSampler.Generate(Tensor, Tensor)"/>: inference mode, the folded eval forward, or the module's own
/// forward with --module) and through ONNX Runtime (Microsoft.ML.OnnxRuntime, in process) on the graph
/// <see cref="GeneratorExporter"/> writes, for the same z and classes. The two alternate in --rounds rounds of --repeat
/// timed batches each, so that a change of machine load hits both alike. 32×32 is the reference's CIFAR model (10
/// classes, per-class cBN tables, no attention); larger resolutions the ImageNet layout (1000 classes, shared embedding,
/// hierarchical z of 20 per chunk, attention at 64). Prints gen_images_per_s_csharp and gen_images_per_s_onnxruntime
/// (from the median batch time; best_images_per_s from the fastest), their ratio, and the largest difference between
/// the two outputs. With --reference-onnx, an ONNX file exported elsewhere (e.g. the reference implementation's
/// generator through torch.onnx, inputs z and class_index) is timed in ONNX Runtime in the same rounds
/// (gen_images_per_s_reference_onnx; its weights are its own, so no output comparison).
/// </summary>
public sealed class GenerateBenchmark : IBenchmark
{
    public string Name => "generate";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        int resolution = o.Int("resolution", 32), ch = o.Int("ch", 32), batch = o.Int("batch", 64), threads = o.Int("threads", 2);
        int warmup = o.Int("warmup", 1), repeat = o.Int("repeat", 3), rounds = o.Int("rounds", 3);
        var skipOrt = o.ContainsKey("skip-ort");
        var referenceOnnx = o.TryGetValue("reference-onnx", out var refPath) ? refPath : null;
        torch.set_num_threads(threads);
        var config = Config(resolution, ch);
        var context = new Dictionary<string, object>
        {
            ["resolution"] = resolution, ["ch"] = ch, ["batch"] = batch, ["threads"] = threads, ["classes"] = config.NumClasses,
            ["dim_z"] = config.DimZ, ["attention"] = string.Join(",", config.GAttention), ["shared"] = config.SharedEmbedding,
        };

        var sw = Stopwatch.StartNew();
        using var rng = new torch.Generator(0);
        using var g = new BigGan.Training.Model.Generator(config, rng);
        g.eval();
        context["params"] = g.parameters().Sum(p => p.numel());
        var foldedForward = !o.ContainsKey("module");
        context["forward"] = foldedForward ? "folded" : "module";
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = batch, FoldedForward = foldedForward });
        using var z = sampler.Latents(0, batch, Truncation.None, 1);
        var classes = Enumerable.Range(0, batch).Select(i => (long)(i % config.NumClasses)).ToArray();
        using var y = torch.tensor(classes);
        Console.Error.WriteLine($"generate: built G ({g.parameters().Sum(p => p.numel()):N0} parameters) in {sw.Elapsed.TotalSeconds:F1} s");

        // C# and ONNX Runtime alternate in rounds, so that a change of machine load hits both alike.
        var path = Path.Combine(Directory.CreateTempSubdirectory("biggan-bench-gen-").FullName, "g.onnx");
        try
        {
            if (!skipOrt)
            {
                sw.Restart();
                GeneratorExporter.Export(g, path, new GeneratorExportOptions { DynamicBatch = true });
                Console.Error.WriteLine($"generate: exported {new FileInfo(path).Length / 1e6:F1} MB in {sw.Elapsed.TotalSeconds:F1} s");
            }
            var zData = z.ToArray<float>();
            float[] csharpImages = [], ortImages = [];
            var csharpTimes = new List<double>();
            var ortTimes = new List<double>();
            var referenceTimes = new List<double>();
            string ortVersion = "";
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < (round == 0 ? warmup : 0) + repeat; i++)
                {
                    sw.Restart();
                    using var images = sampler.Generate(z, y);
                    var s = sw.Elapsed.TotalSeconds;
                    if (round > 0 || i >= warmup) csharpTimes.Add(s);
                    if (csharpImages.Length == 0) csharpImages = images.ToArray<float>();
                }
                if (skipOrt) continue;
                var result = OnnxRuntimeRunner.Run(path,
                [
                    new OrtInput(GeneratorExporter.LatentInput, [batch, config.DimZ], Floats: zData),
                    new OrtInput(GeneratorExporter.ClassIndexInput, [batch], Int64s: classes),
                ], threads, warmup, repeat);
                ortTimes.AddRange(result.RunMs.Select(ms => ms / 1000));
                ortImages = result[GeneratorExporter.ImageOutput].Floats;
                ortVersion = result.OrtVersion;
                if (referenceOnnx is null) continue;
                var reference = OnnxRuntimeRunner.Run(referenceOnnx,
                [
                    new OrtInput("z", [batch, config.DimZ], Floats: zData),
                    new OrtInput("class_index", [batch], Int64s: classes),
                ], threads, warmup, repeat);
                referenceTimes.AddRange(reference.RunMs.Select(ms => ms / 1000));
            }
            var csharp = batch / Report.Median(csharpTimes);
            Report.Figure("gen_images_per_s_csharp", csharp, "images/s", new Dictionary<string, object>(context)
            {
                ["batch_s"] = csharpTimes.Select(t => Math.Round(t, 4)).ToArray(), ["best_images_per_s"] = Math.Round(batch / csharpTimes.Min(), 2),
            });
            if (skipOrt) return 0;
            var ort = batch / Report.Median(ortTimes);
            Report.Figure("gen_images_per_s_onnxruntime", ort, "images/s", new Dictionary<string, object>(context)
            {
                ["batch_s"] = ortTimes.Select(t => Math.Round(t, 4)).ToArray(), ["best_images_per_s"] = Math.Round(batch / ortTimes.Min(), 2),
                ["ort_version"] = ortVersion, ["max_abs_diff_vs_csharp"] = csharpImages.Zip(ortImages, (a, b) => Math.Abs(a - b)).Max(),
            });
            Report.Figure("gen_csharp_over_onnxruntime", csharp / ort, "x", context);
            if (referenceTimes.Count > 0)
                Report.Figure("gen_images_per_s_reference_onnx", batch / Report.Median(referenceTimes), "images/s", new Dictionary<string, object>(context)
                {
                    ["file"] = referenceOnnx!, ["batch_s"] = referenceTimes.Select(t => Math.Round(t, 4)).ToArray(),
                    ["best_images_per_s"] = Math.Round(batch / referenceTimes.Min(), 2),
                });
        }
        finally
        {
            try { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    private static ModelConfig Config(int resolution, int ch)
    {
        if (resolution == 32) return ModelConfig.Cifar(numClasses: 10, channels: 3, ch: ch);
        var depth = ArchitectureTable.GeneratorDepth(resolution);
        return ModelConfig.ImageNet128(1000) with
        {
            Resolution = resolution, GCh = ch, DCh = ch, DimZ = 20 * (depth + 1),
            GAttention = resolution >= 64 ? [64] : [], DAttention = [],
        };
    }
}
