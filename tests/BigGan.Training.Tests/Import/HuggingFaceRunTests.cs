using BigGan.OnnxRuntime;
using BigGan.Training.Import;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.IO;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Import.BigGanPyTorchImportTests;

namespace BigGan.Training.Tests.Import;

/// <summary>
/// Hugging Face BigGAN-deep imports as run folders (<see cref="HuggingFaceRun"/>, <see cref="HuggingFaceSampler"/>,
/// <see cref="RunSamplers"/>) against the reference outputs of Fixtures/huggingface (see <see cref="HuggingFaceBigGanTests"/>):
/// the sampler at the fixture's truncation, the sampling path of the commands, ONNX with a class index in ONNX Runtime,
/// the CLI's import / sample / interpolate / export / evaluate, and the errors of a bad truncation or damaged weights.
/// </summary>
[TestClass]
public sealed class HuggingFaceRunTests : TempDirTest
{
    private static readonly string HfFixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "huggingface");

    private string Import(string model = "hf32", string format = "zip") =>
        HuggingFaceRun.Import(Path.Combine(HfFixtures, $"{model}_{format}.bin"), Path.Combine(HfFixtures, $"{model}_config.json"), Path.Combine(_dir, "runs", model)).RunDir;

    private static Dictionary<string, Tensor> Expected(string model) =>
        new(TorchCheckpoint.Load(Path.Combine(HfFixtures, $"{model}_expected.pt")));

    [TestMethod]
    [DataRow("hf32", "zip")]
    [DataRow("hf32", "legacy")]
    [DataRow("hf64", "zip")]
    public void AnImportedRunSamplesLikeTheReferenceAtItsTruncation(string model, string format)
    {
        var run = Import(model, format);
        CollectionAssert.AreEquivalent(new[] { HuggingFaceRun.KindFile, HuggingFaceRun.WeightsFile, HuggingFaceRun.ConfigFile, BigGanSampler.ClassNamesFile },
            Directory.GetFiles(run).Select(Path.GetFileName).ToArray());
        Assert.IsEmpty(Directory.GetDirectories(Path.Combine(_dir, "runs")).Where(d => Path.GetFileName(d).StartsWith('.')).ToArray(), "no staging folder left");
        Assert.IsTrue(HuggingFaceRun.IsRun(run));

        var expected = Expected(model);
        try
        {
            for (int i = 0; expected.ContainsKey($"image{i}"); i++)
            {
                var t = expected[$"truncation{i}"].ToDouble();
                using var sampler = RunSamplers.Open(run, new SamplerOptions { Truncation = Truncation.TFHub(t), BatchSize = 2 });
                Assert.IsInstanceOfType<HuggingFaceSampler>(sampler);
                using var z = expected["z"].mul(t);
                // row 0 is a soft class mixture: it goes in as a class vector; the others are one-hot, so also as class ids
                using (var images = sampler.GenerateEmbedded(z, expected["y"]))
                    AssertClose(expected[$"image{i}"], images, 1e-4, $"{model} ({format}) run folder at tfhub:{t}");
                var n = z.shape[0];
                if (n < 2) continue;
                using var ids = expected["y"].narrow(0, 1, n - 1).argmax(1);
                using var byId = sampler.Generate(z.narrow(0, 1, n - 1), ids);
                using var rows = expected[$"image{i}"].narrow(0, 1, n - 1);
                AssertClose(rows, byId, 1e-4, $"{model} ({format}) by class id at tfhub:{t}");
            }
        }
        finally
        {
            foreach (var v in expected.Values) v.Dispose();
        }
    }

    [TestMethod]
    public void TheCommandsSamplingPathDrawsTFHubLatentsForTheModel()
    {
        var run = Import();
        using var sampler = RunSamplers.Open(run, new SamplerOptions { Truncation = Truncation.TFHub(0.6) });
        using var model = HuggingFaceBigGanWeights.Load(Path.Combine(HfFixtures, "hf32_zip.bin"), Path.Combine(HfFixtures, "hf32_config.json"));
        Assert.AreEqual(Truncation.TFHub(0.6), sampler.DefaultTruncation);
        CollectionAssert.AreEqual(Enumerable.Range(0, 5).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), sampler.ClassNames.ToArray());

        // what `biggan sample` writes: a class sheet, columns sharing latent rows 0..2 of the seed
        using var grid = SampleSheets.ClassGrid(sampler, [1, 4], 3, sampler.DefaultTruncation, seed: 7);
        using var z = LatentSampler.RowsTensor(7, 0, 3, 2, Truncation.TFHub(0.6));
        Assert.IsTrue(z.abs().max().ToDouble() <= 1.2 + 1e-6, "tfhub:0.6 latents lie in ±1.2");
        using var zz = z.repeat(2, 1);
        using var y = nn.functional.one_hot(tensor(new long[] { 1, 1, 1, 4, 4, 4 }), 5).to(ScalarType.Float32);
        using var _ = no_grad();
        using var reference = model.Forward(zz, y, 0.6);
        AssertClose(reference, grid, 1e-5, "class sheet against the model at tfhub:0.6");

        // `biggan interpolate` walks between class vectors; its endpoints are the plain classes
        using var interp = SampleSheets.InterpolationGrid(sampler, InterpolationMode.Class, 1, 1, sampler.DefaultTruncation, seed: 7, classes: [1, 4]);
        Assert.AreEqual(3L, interp.shape[0]);
        using var ends = sampler.SampleRows([1], sampler.DefaultTruncation, 7);
        AssertClose(ends, interp.narrow(0, 0, 1), 1e-5, "interpolation's first endpoint");
    }

    [TestMethod]
    public void ATruncationTheRunCannotUseIsRefusedNamingWhatItAccepts()
    {
        var run = Import();
        foreach (var (t, what) in new[] { (Truncation.Paper(0.5), "'0.5' (the paper's convention"), (Truncation.None, "'none' (untruncated"), (Truncation.TFHub(1.5), "'tfhub:1.5' is outside 0 < t <= 1") })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => RunSamplers.Open(run, new SamplerOptions { Truncation = t }));
            StringAssert.Contains(e.Message, "tfhub:t with 0 < t <= 1");
            StringAssert.Contains(e.Message, what);
        }
        using var sampler = RunSamplers.Open(run);
        Assert.AreEqual(Truncation.TFHub(1), sampler.DefaultTruncation, "opened without a truncation: tfhub:1");
        var other = Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([0], 1, Truncation.TFHub(0.4), 0));
        StringAssert.Contains(other.Message, "was opened for tfhub:1");
        Assert.ThrowsExactly<ArgumentException>(() => RunSamplers.Open(run, new SamplerOptions { Statistics = BatchNormStatistics.Standing }));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => BigGanSampler.Load(run)).Message, "imported Hugging Face BigGAN-deep");
    }

    [TestMethod]
    public void DamagedOrMissingWeightsAreReportedClearly()
    {
        var run = Import();
        var weights = Path.Combine(run, HuggingFaceRun.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x40;   // a bit of the last tensor's data
        File.WriteAllBytes(weights, bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => RunSamplers.Open(run)).Message, "is corrupt");

        File.WriteAllBytes(weights, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        Assert.ThrowsExactly<InvalidDataException>(() => RunSamplers.Open(run));

        File.Delete(weights);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => RunSamplers.Open(run));
        StringAssert.Contains(missing.Message, $"has no weights file {HuggingFaceRun.WeightsFile}");

        File.WriteAllText(Path.Combine(run, HuggingFaceRun.KindFile), "{ not json");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => RunSamplers.Open(run)).Message, "is damaged");
    }

    [TestMethod]
    public void AWeightsFileThatDoesNotFitItsConfigIsRefusedBeforeAnyFolderIsMade()
    {
        var config = Path.Combine(_dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(HfFixtures, "hf64_config.json")));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceRun.Import(Path.Combine(HfFixtures, "hf32_zip.bin"), config, Path.Combine(_dir, "runs", "bad")));
        StringAssert.Contains(e.Message, "does not fit the Hugging Face BigGAN of its config");
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "runs")), "no run folder, parent or staging folder");
    }

    [TestMethod]
    [DataRow(OnnxClassInput.IndexColumn)]
    [DataRow(OnnxClassInput.Index)]
    [DataRow(OnnxClassInput.OneHot)]
    public void TheOnnxExportTakesOurClassInputsAndMatchesTheReference(OnnxClassInput classInput)
    {
        var run = Import();
        var expected = Expected("hf32");
        try
        {
            var t = expected["truncation0"].ToDouble();
            using var sampler = RunSamplers.Open(run, new SamplerOptions { Truncation = Truncation.TFHub(t) });
            var path = Path.Combine(_dir, "hf.onnx");
            sampler.ExportOnnx(path, new GeneratorExportOptions { ClassInput = classInput, DynamicBatch = true });
            var n = expected["z"].shape[0];
            using var z = expected["z"].mul(t).narrow(0, 1, n - 1).contiguous();   // the one-hot rows
            using var y = expected["y"].narrow(0, 1, n - 1).contiguous();
            using var ids = y.argmax(1);
            using var idColumn = ids.unsqueeze(1);
            var classFeed = classInput switch
            {
                OnnxClassInput.OneHot => OrtInput.From(GeneratorExporter.ClassOneHotInput, y),
                OnnxClassInput.IndexColumn => OrtInput.From(GeneratorExporter.ClassIndexInput, idColumn),
                _ => OrtInput.From(GeneratorExporter.ClassIndexInput, ids),
            };
            var outputs = OnnxRuntimeRunner.Run(path, [OrtInput.From(GeneratorExporter.LatentInput, z), classFeed]);
            using var rows = expected["image0"].narrow(0, 1, n - 1).contiguous();
            using var ort = tensor(outputs[GeneratorExporter.ImageOutput].Floats, rows.shape);
            AssertClose(rows, ort, 1e-4, $"ONNX Runtime, class input {classInput}");
            var summary = Onnx.OnnxChecker.Check(path);
            StringAssert.Contains(summary.ToJsonString(), "tfhub");
        }
        finally
        {
            foreach (var v in expected.Values) v.Dispose();
        }
    }

    [TestMethod]
    public void TheCliImportsAHuggingFaceRunAndTheOtherCommandsOpenIt()
    {
        var run = Path.Combine(_dir, "runs", "hf32");
        var (code, text) = Biggan("import", "--format", "huggingface", "--weights", Path.Combine(HfFixtures, "hf32_legacy.bin"), "--config", Path.Combine(HfFixtures, "hf32_config.json"), "--out", run);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "BigGAN-deep 32×32×3, 5 classes, z_dim 2, channel_width 3");
        Assert.IsTrue(HuggingFaceRun.IsRun(run));

        var folder = Path.Combine(_dir, "samples");
        (code, text) = Biggan("sample", "--run", run, "--classes", "1,4", "--per-class", "2", "--truncation", "tfhub:0.6", "--format", "folder", "--out", folder, "--threads", "1");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "BN statistics for truncation tfhub:0.6");
        Assert.AreEqual(4, Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Length);
        (code, text) = Biggan("sample", "--run", run, "--out", Path.Combine(_dir, "sheet.png"), "--per-class", "1", "--threads", "1");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "truncation tfhub:1");
        (code, text) = Biggan("sample", "--run", run, "--out", Path.Combine(_dir, "bad.png"), "--truncation", "0.5", "--threads", "1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--truncation 0.5: a Hugging Face BigGAN-deep samples with the TF-Hub convention only, tfhub:t with 0 < t <= 1");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "bad.png")));

        (code, text) = Biggan("interpolate", "--run", run, "--mode", "both", "--rows", "2", "--midpoints", "2", "--truncation", "tfhub:0.4", "--out", Path.Combine(_dir, "interp.png"), "--threads", "1");
        Assert.AreEqual(0, code, text);
        Assert.IsTrue(File.Exists(Path.Combine(_dir, "interp.png")));

        var onnx = Path.Combine(_dir, "hf.onnx");
        (code, text) = Biggan("export", "--run", run, "--onnx", onnx, "--truncation", "tfhub:0.6", "--threads", "1");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "class_index int64 [N, 1]");
        var inputs = Onnx.OnnxChecker.Check(onnx)["inputs"]!.ToJsonString();
        StringAssert.Contains(inputs, GeneratorExporter.ClassIndexInput);

        // evaluate: an untrained (but fixed) feature network and a tiny real folder of the run's 5 classes at 32×32 RGB
        var classifier = Path.Combine(_dir, "rgb.safetensors");
        using (var cnn = new BigGan.Training.Evaluation.SmallCnnClassifier(new BigGan.Training.Evaluation.ClassifierConfig(3, 32, 5, Width: 4, FeatureDimension: 8), seed: 4)) cnn.Save(classifier);
        for (int c = 0; c < 5; c++)
            for (int i = 0; i < 3; i++)
                Data.DataFixtures.WritePng(Path.Combine(_dir, "real", $"{c}", $"{i}.png"), Enumerable.Range(0, 3 * 32 * 32).Select(k => (byte)((k * (c + 1) + i * 13 + k / 1024 * 50) % 256)).ToArray(), 3, 32, 32);
        (code, text) = Biggan("evaluate", "--run", run, "--classifier", classifier, "--per-class", "2", "--threads", "1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--data is required");
        (code, text) = Biggan("evaluate", "--run", run, "--data", Path.Combine(_dir, "real"), "--classifier", classifier, "--per-class", "2", "--threads", "1");
        Assert.AreEqual(0, code, text);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "evaluation.json")))!;
        Assert.AreEqual(10, json["generated"]!.GetValue<int>());

        File.Delete(Path.Combine(run, HuggingFaceRun.WeightsFile));
        (code, text) = Biggan("sample", "--run", run, "--out", Path.Combine(_dir, "gone.png"), "--threads", "1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "has no weights file");
    }

    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start(args);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, p.Text);
    }
}
