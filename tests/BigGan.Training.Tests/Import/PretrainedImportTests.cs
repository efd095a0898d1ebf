using BigGan.OnnxRuntime;
using BigGan.Training.Import;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.IO;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Import.BigGanPyTorchImportTests;

namespace BigGan.Training.Tests.Import;

/// <summary>
/// Imported runs (<see cref="PretrainedImport"/>, <c>biggan import</c>) against the reference outputs of
/// Fixtures/biggan-pytorch (see <see cref="BigGanPyTorchImportTests"/>; bgpt32_imagenet is the same generator code at
/// G_ch=1, dim_z=8, shared_dim=4, hier=True, 1,000 classes, no attention, sampled for class 207): the sampler's folded
/// forward, the ONNX export in ONNX Runtime and the CLI all reproduce the reference.
/// </summary>
[TestClass]
public sealed class PretrainedImportTests : TempDirTest
{
    [TestMethod]
    [DataRow("bgpt32", "zip")]
    [DataRow("bgpt64", "legacy")]
    public void AnImportedRunSamplesAndExportsLikeTheReference(string model, string format)
    {
        // BN eps is not in the weights: bgpt64 was built with 1e-4, so it is imported with a --config saying so.
        var weights = Path.Combine(Fixtures, $"{model}_{format}.pth");
        string? config = null;
        if (model == "bgpt64")
        {
            config = Path.Combine(_dir, "config.json");
            File.WriteAllText(config, (InferredConfig(weights) with { BnEps = 1e-4 }).ToJson());
        }
        var run = PretrainedImport.ImportRun(weights, PretrainedFormat.BigGanPyTorch, Path.Combine(_dir, "run"), config);
        CollectionAssert.AreEquivalent(new[] { "G_ema.safetensors", "classes.txt" }, Directory.GetFiles(run.RunDir).Select(Path.GetFileName).ToArray());
        Assert.IsEmpty(Directory.GetDirectories(_dir).Where(d => Path.GetFileName(d).StartsWith('.')).ToArray(), "no staging folder left");

        var (z, y, image) = Expected(model);
        using (z) using (y) using (image)
        {
            using var sampler = BigGanSampler.Load(run.RunDir);
            using (var folded = sampler.Generate(z, y)) AssertClose(image, folded, 1e-4, $"{model}: the sampler's folded forward");

            var onnx = Path.Combine(_dir, "g.onnx");
            GeneratorExporter.Export(sampler, onnx, new GeneratorExportOptions { ClassInput = OnnxClassInput.Index, DynamicBatch = true });
            var outputs = OnnxRuntimeRunner.Run(onnx, [OrtInput.From(GeneratorExporter.LatentInput, z), OrtInput.From(GeneratorExporter.ClassIndexInput, y)]);
            using var ort = tensor(outputs["image"].Floats, image.shape);
            AssertClose(image, ort, 1e-4, $"{model}: ONNX Runtime");
        }
    }

    [TestMethod]
    public void ImageNetGeneratorsGetTheImageNetClassNames()
    {
        Assert.AreEqual(1000, ImageNetClasses.Names.Count);
        Assert.AreEqual(ImageNetClasses.Names.Count, ImageNetClasses.Names.Select(n => n.ToLowerInvariant()).Distinct().Count(), "names unique ignoring case");
        Assert.AreEqual("tench", ImageNetClasses.Names[0]);
        Assert.AreEqual("golden retriever", ImageNetClasses.Names[207]);

        var run = PretrainedImport.ImportRun(Path.Combine(Fixtures, "bgpt32_imagenet_zip.pth"), PretrainedFormat.BigGanPyTorch, Path.Combine(_dir, "imagenet"));
        Assert.IsTrue(run.ImageNetClassNames);
        var (z, y, image) = Expected("bgpt32_imagenet");
        using (z) using (y) using (image)
        {
            foreach (var sampler in new[] { BigGanSampler.Load(run.RunDir), PretrainedImport.OpenSampler(Path.Combine(Fixtures, "bgpt32_imagenet_zip.pth"), PretrainedFormat.BigGanPyTorch) })
            {
                using (sampler)
                {
                    Assert.AreEqual(207, sampler.ClassIndex("Golden Retriever"));
                    using var classes = tensor(new long[] { sampler.ClassIndex("golden retriever") });
                    using var images = sampler.Generate(z, classes);
                    AssertClose(image, images, 1e-4, "class 207 by name");
                }
            }
        }
    }

    [TestMethod]
    public void ARefusedImportLeavesNothingBehind()
    {
        var evil = Path.Combine(_dir, "evil.pth");
        File.WriteAllBytes(evil, new PickleBuilder().Proto().Global("posix", "system").Str("touch " + Path.Combine(_dir, "pwned")).Tuple1().Reduce().Stop().Bytes);
        var target = Path.Combine(_dir, "runs", "evil");
        var e = Assert.ThrowsExactly<UnsafePickleException>(() => PretrainedImport.ImportRun(evil, PretrainedFormat.BigGanPyTorch, target));
        StringAssert.Contains(e.Message, "posix.system");
        CollectionAssert.AreEquivalent(new[] { evil }, Directory.GetFileSystemEntries(_dir), "no run folder, parent or staging folder, no marker");

        var existing = Path.Combine(_dir, "existing");
        Directory.CreateDirectory(existing);
        File.WriteAllText(Path.Combine(existing, "notes.txt"), "keep");
        var e2 = Assert.ThrowsExactly<IOException>(() => PretrainedImport.ImportRun(Path.Combine(Fixtures, "bgpt32_zip.pth"), PretrainedFormat.BigGanPyTorch, existing));
        StringAssert.Contains(e2.Message, "already exists and is not empty");
        CollectionAssert.AreEqual(new[] { Path.Combine(existing, "notes.txt") }, Directory.GetFiles(existing));
    }

    [TestMethod]
    public void TheCliImportsAndTheOtherCommandsOpenTheRun()
    {
        var run = Path.Combine(_dir, "runs", "imagenet32");
        var (code, text) = Biggan("import", "--format", "biggan-pytorch", "--weights", Path.Combine(Fixtures, "bgpt32_imagenet_zip.pth"), "--out", run);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "32×32×3, 1000 classes (ImageNet names)");

        (code, text) = Biggan("sample", "--run", run, "--classes", "golden retriever,tench", "--per-class", "2", "--out", Path.Combine(_dir, "sheet.png"), "--threads", "1");
        Assert.AreEqual(0, code, text);
        Assert.IsTrue(File.Exists(Path.Combine(_dir, "sheet.png")));
        (code, text) = Biggan("interpolate", "--run", run, "--classes", "golden retriever", "--rows", "1", "--midpoints", "2", "--out", Path.Combine(_dir, "interp.png"), "--threads", "1");
        Assert.AreEqual(0, code, text);
        (code, text) = Biggan("export", "--run", run, "--onnx", Path.Combine(_dir, "g.onnx"), "--threads", "1");
        Assert.AreEqual(0, code, text);
        Assert.IsTrue(new FileInfo(Path.Combine(_dir, "g.onnx")).Length > 0);

        var hf = Path.Combine(AppContext.BaseDirectory, "Fixtures", "huggingface");
        (code, text) = Biggan("import", "--format", "huggingface", "--weights", Path.Combine(hf, "hf32_legacy.bin"), "--config", Path.Combine(hf, "hf32_config.json"), "--onnx", Path.Combine(_dir, "hf.onnx"), "--truncation", "0.6");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "32×32×3, 5 classes, z_dim 2, channel_width 3, truncation 0.6");
        Assert.IsTrue(new FileInfo(Path.Combine(_dir, "hf.onnx")).Length > 0);
        (code, text) = Biggan("import", "--format", "huggingface", "--weights", Path.Combine(hf, "hf32_legacy.bin"));
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "error: --format huggingface needs --out RUN_DIR (a new run folder), --onnx FILE, or both");
        (code, text) = Biggan("import", "--format", "biggan-pytorch", "--weights", Path.Combine(_dir, "missing.pth"), "--out", Path.Combine(_dir, "x"));
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "PyTorch checkpoint not found");
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [TestMethod]
    public void EvaluateScoresAnImportedRun()
    {
        // An untrained (but fixed) feature network and a tiny real folder of the run's 5 classes at 32×32 RGB.
        var run = PretrainedImport.ImportRun(Path.Combine(Fixtures, "bgpt32_legacy.pth"), PretrainedFormat.BigGanPyTorch, Path.Combine(_dir, "run")).RunDir;
        var classifier = Path.Combine(_dir, "rgb.safetensors");
        using (var cnn = new BigGan.Training.Evaluation.SmallCnnClassifier(new BigGan.Training.Evaluation.ClassifierConfig(3, 32, 5, Width: 4, FeatureDimension: 8), seed: 4)) cnn.Save(classifier);
        for (int c = 0; c < 5; c++)
            for (int i = 0; i < 3; i++)
                Data.DataFixtures.WritePng(Path.Combine(_dir, "real", $"{c}", $"{i}.png"), Enumerable.Range(0, 3 * 32 * 32).Select(k => (byte)((k * (c + 1) + i * 13 + k / 1024 * 50) % 256)).ToArray(), 3, 32, 32);
        var (code, text) = Biggan("evaluate", "--run", run, "--data", Path.Combine(_dir, "real"), "--classifier", classifier, "--per-class", "2", "--threads", "1");
        Assert.AreEqual(0, code, text);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "evaluation.json")))!;
        Assert.AreEqual(10, json["generated"]!.GetValue<int>());
        Assert.IsGreaterThan(0, json["scores"]!["fid"]!.GetValue<double>());
    }

    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start(args);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, p.Text);
    }
}
