using BigGan.OnnxRuntime;
using System.Text.Json;
using BigGan.Training.Model;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.Sampling;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;
using ModelGenerator = BigGan.Training.Model.Generator;

namespace BigGan.Training.Tests.Onnx;

/// <summary>
/// Exported generators run in ONNX Runtime (Microsoft.ML.OnnxRuntime) against the C# eval-mode forward for the same z and
/// classes: a 32×32 model with shared embedding, hierarchical z and attention, and a 64×64 grayscale model with per-class
/// cBN tables, attention and two tracked singular values; every class-input kind, batch 1 and dynamic, opsets 13 and 11.
/// Every file passes python3-onnx's full checker.
/// </summary>
[TestClass]
public sealed class GeneratorExporterTests
{
    private const float Tolerance = 1e-4f;
    private static string _dir = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        set_num_threads(1);
        _dir = TempDir("biggan-gen-onnx-");
    }

    [ClassCleanup]
    public static void Cleanup() => DeleteDir(_dir);

    private static ModelConfig Model(string name) => name switch
    {
        "attn32" => SamplingFixtures.Attention32,
        "tables64" => SamplingFixtures.Tables64,
        _ => throw new ArgumentException(name),
    };

    [TestMethod]
    [DataRow("attn32", OnnxClassInput.Index, false, 13)]
    [DataRow("attn32", OnnxClassInput.Index, true, 13)]
    [DataRow("attn32", OnnxClassInput.OneHot, false, 13)]
    [DataRow("attn32", OnnxClassInput.OneHot, true, 13)]
    [DataRow("attn32", OnnxClassInput.IndexColumn, true, 11)]
    [DataRow("tables64", OnnxClassInput.Index, false, 13)]
    [DataRow("tables64", OnnxClassInput.Index, true, 13)]
    [DataRow("tables64", OnnxClassInput.OneHot, false, 13)]
    [DataRow("tables64", OnnxClassInput.OneHot, true, 11)]
    [DataRow("tables64", OnnxClassInput.IndexColumn, false, 13)]
    public void OnnxRuntimeMatchesTheCSharpForward(string model, OnnxClassInput classInput, bool dynamicBatch, int opset)
    {
        var config = Model(model);
        using var g = Warmed(config, 41);
        var path = Path.Combine(_dir, $"{model}_{classInput}_{(dynamicBatch ? "dyn" : "b1")}_op{opset}.onnx");
        GeneratorExporter.Export(g, path, new GeneratorExportOptions { ClassInput = classInput, DynamicBatch = dynamicBatch, Opset = opset });

        var summary = OnnxChecker.Check(path);
        Assert.AreEqual(opset, summary["opset_import"]![""]!.GetValue<int>());
        var inputs = summary["inputs"]!.AsArray();
        var batchDim = dynamicBatch ? "\"N\"" : "1";
        Assert.AreEqual(GeneratorExporter.LatentInput, inputs[0]!["name"]!.GetValue<string>());
        Assert.AreEqual($"[{batchDim},{config.DimZ}]", inputs[0]!["dims"]!.ToJsonString());
        var (className, classDims) = classInput switch
        {
            OnnxClassInput.OneHot => (GeneratorExporter.ClassOneHotInput, $"[{batchDim},{config.NumClasses}]"),
            OnnxClassInput.IndexColumn => (GeneratorExporter.ClassIndexInput, $"[{batchDim},1]"),
            _ => (GeneratorExporter.ClassIndexInput, $"[{batchDim}]"),
        };
        Assert.AreEqual(className, inputs[1]!["name"]!.GetValue<string>());
        Assert.AreEqual(classDims, inputs[1]!["dims"]!.ToJsonString());
        var outputs = summary["outputs"]!.AsArray();
        Assert.AreEqual("image", outputs[0]!["name"]!.GetValue<string>());
        Assert.AreEqual("pixels", outputs[1]!["name"]!.GetValue<string>());
        Assert.AreEqual($"[{batchDim},{config.Channels},{config.Resolution},{config.Resolution}]", outputs[1]!["dims"]!.ToJsonString());

        using var scope = NewDisposeScope();
        int n = dynamicBatch ? 3 : 1;
        var z = LatentSampler.RowsTensor(7, 0, n, config.DimZ, Truncation.None);
        var ids = Enumerable.Range(0, n).Select(i => (long)((2 * i + 1) % config.NumClasses)).ToArray();
        var y = tensor(ids);
        Tensor expected;
        Tensor classFeed;
        if (classInput == OnnxClassInput.OneHot)
        {
            // the last row is a mixture of two classes, the others one-hot
            var w = nn.functional.one_hot(y, config.NumClasses).to(ScalarType.Float32);
            if (n > 1) { w[n - 1].zero_(); w[n - 1][0].fill_(0.25); w[n - 1][2].fill_(0.75); }
            using var sampler = new BigGanSampler(g);
            expected = sampler.GenerateMixture(z, w);
            classFeed = w;
        }
        else
        {
            using (no_grad()) expected = g.forward(z, y);
            classFeed = classInput == OnnxClassInput.IndexColumn ? y.view(n, 1) : y;
        }

        var run = OnnxRuntimeRunner.Run(path, [OrtInput.From("z", z), OrtInput.From(className, classFeed)]);
        var image = tensor(run["image"].Floats, run["image"].Dims);
        var pixels = tensor(run["pixels"].Floats, run["pixels"].Dims);
        CollectionAssert.AreEqual(expected.shape, image.shape);
        var diff = MaxAbsDiff(expected, image);
        Assert.IsTrue(diff <= Tolerance, $"image: max abs diff {diff}");
        var expectedPixels = expected.add(1).mul_(127.5).clamp_(0, 255);
        var pixelDiff = MaxAbsDiff(expectedPixels, pixels);
        Assert.IsTrue(pixelDiff <= Tolerance * 127.5f, $"pixels: max abs diff {pixelDiff}");
        Assert.IsTrue(pixels.min().item<float>() >= 0 && pixels.max().item<float>() <= 255);
        Assert.IsTrue(expected.std().item<float>() > 1e-3f, "the test images are not constant");
    }

    [TestMethod]
    public void MetadataDescribesTheGenerator()
    {
        using var g = Warmed(SamplingFixtures.Attention32, 42);
        using var sampler = new BigGanSampler(g, new SamplerOptions { ClassNames = ["ant", "bee", "cat", "dog", "e,l\""] });
        var path = Path.Combine(_dir, "meta.onnx");
        GeneratorExporter.Export(sampler, path, new GeneratorExportOptions
        {
            TruncationConvention = TruncationConvention.TFHub, Step = 1234, Metadata = new Dictionary<string, string> { ["author"] = "tests" },
        });
        var meta = OnnxChecker.Check(path)["metadata"]!.AsObject();
        CollectionAssert.AreEqual(new[] { "ant", "bee", "cat", "dog", "e,l\"" }, JsonSerializer.Deserialize<string[]>(meta["biggan.class_names"]!.GetValue<string>()));
        Assert.AreEqual("16", meta["biggan.dim_z"]!.GetValue<string>());
        Assert.AreEqual("32", meta["biggan.resolution"]!.GetValue<string>());
        Assert.AreEqual("3", meta["biggan.channels"]!.GetValue<string>());
        Assert.AreEqual("5", meta["biggan.num_classes"]!.GetValue<string>());
        Assert.AreEqual("tfhub", meta["biggan.truncation_convention"]!.GetValue<string>());
        StringAssert.Contains(meta["biggan.truncation"]!.GetValue<string>(), "[-2, 2]");
        Assert.AreEqual("running", meta["biggan.bn_statistics"]!.GetValue<string>());
        Assert.AreEqual("1", meta["biggan.batch"]!.GetValue<string>());
        Assert.AreEqual("1234", meta["biggan.step"]!.GetValue<string>());
        Assert.AreEqual("tests", meta["author"]!.GetValue<string>());
        Assert.AreEqual(SamplingFixtures.Attention32, ModelConfig.FromJson(meta["biggan.model_config"]!.GetValue<string>()));
    }

    [TestMethod]
    public void StandingStatisticsAreExportedAsTheGraphsConstants()
    {
        using var g = Warmed(SamplingFixtures.Small32, 43);
        using var sampler = new BigGanSampler(g, new SamplerOptions
        {
            Statistics = BatchNormStatistics.Standing,
            Standing = new StandingStatisticsOptions { Accumulations = 2, BatchSize = 8 },
        });
        var path = Path.Combine(_dir, "standing.onnx");
        GeneratorExporter.Export(sampler, path, new GeneratorExportOptions { DynamicBatch = true });
        Assert.AreEqual("standing", OnnxChecker.Check(path)["metadata"]!["biggan.bn_statistics"]!.GetValue<string>());
        using var scope = NewDisposeScope();
        var z = sampler.Latents(0, 2, 0.5, 3);
        var y = tensor(new long[] { 2, 0 });
        var expected = sampler.Generate(z, y);
        var run = OnnxRuntimeRunner.Run(path, [OrtInput.From("z", z), OrtInput.From("class_index", y)]);
        Assert.IsTrue(MaxAbsDiff(expected, tensor(run["image"].Floats, run["image"].Dims)) <= Tolerance);
    }

    [TestMethod]
    public void NormalizedWeightIsTheWeightTheEvalForwardUses()
    {
        using var g = Warmed(SamplingFixtures.Tables64, 44); // two tracked singular values
        using var scope = NewDisposeScope();
        var layer = g.linear;
        var w = GeneratorExporter.NormalizedWeight(layer);
        using (no_grad())
        {
            var eye = torch.eye(layer.InFeatures);
            var bias = layer.bias!.detach();
            var effective = layer.forward(eye).sub(bias).t();   // rows of (W/σ)ᵀ + b, minus b
            Assert.IsTrue(MaxAbsDiff(w, effective) <= 1e-6f, $"{MaxAbsDiff(w, effective)}");
        }
        var conv = g.Blocks[0].conv_sc; // 1×1 conv: the same check through conv2d
        var wc = GeneratorExporter.NormalizedWeight(conv);
        using (no_grad())
        {
            var x = torch.eye(conv.InChannels).view(conv.InChannels, conv.InChannels, 1, 1);
            var effective = conv.forward(x).sub(conv.bias!.detach().view(1, -1, 1, 1)).view(conv.InChannels, conv.OutChannels).t();
            Assert.IsTrue(MaxAbsDiff(wc.view(conv.OutChannels, conv.InChannels), effective) <= 1e-6f);
        }
    }

    [TestMethod]
    public void AFailedExportLeavesNoFile()
    {
        using var g = Warmed(SamplingFixtures.Small32, 45);
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "failed")).FullName;
        var blocker = Path.Combine(dir, "file");
        File.WriteAllText(blocker, "not a folder");
        var e = Assert.ThrowsExactly<IOException>(() => GeneratorExporter.Export(g, Path.Combine(blocker, "g.onnx")));
        StringAssert.Contains(e.Message, "g.onnx");
        Assert.ThrowsExactly<ArgumentException>(() => GeneratorExporter.Export(g, Path.Combine(dir, "g.onnx"), new GeneratorExportOptions { ClassNames = ["one"] }));
        Assert.ThrowsExactly<ArgumentException>(() => GeneratorExporter.Export(g, Path.Combine(dir, "g.onnx"), new GeneratorExportOptions { Opset = 10 }));
        Assert.ThrowsExactly<ArgumentException>(() => GeneratorExporter.Export(g, Path.Combine(dir, "g.onnx"), new GeneratorExportOptions { Metadata = new Dictionary<string, string> { ["biggan.x"] = "1" } }));
        Assert.ThrowsExactly<IOException>(() => GeneratorExporter.Export(g, dir));
        CollectionAssert.AreEqual(new[] { "file" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).ToArray());
    }
}
