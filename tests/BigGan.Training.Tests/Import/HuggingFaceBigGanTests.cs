using BigGan.OnnxRuntime;
using BigGan.Training.Import;
using BigGan.Training.Tests.IO;
using static BigGan.Training.Tests.Import.BigGanPyTorchImportTests;

namespace BigGan.Training.Tests.Import;

/// <summary>
/// <see cref="HuggingFaceBigGan"/> against huggingface/pytorch-pretrained-BigGAN's own BigGAN (model.py, not included).
/// Fixtures/huggingface was made once with Debian's python3-torch 1.13: hf32 = BigGANConfig(output_dim=32, z_dim=2,
/// channel_width=3, num_classes=5, layers=[(True,16,8),(True,8,4),(True,4,2),(False,2,1)], attention_layer_position=2,
/// n_stats=6), hf64 = the same at output_dim=64 with layers [(True,16,8),(True,8,4),(False,4,4),(True,4,2),(True,2,1)]
/// and attention at 3; random weights, statistics and gains, spectral-norm vectors converged by 30 training-mode
/// passes, then eval mode. Saved: <c>torch.save(model.state_dict())</c> (hf32 in both formats, hf64 as zip; the zip
/// archives re-packed with deflate, entries unchanged, to stay small), config.json, and
/// <c>{"z", "y", "image&lt;i&gt;": model(z·t_i, y, t_i), "truncation&lt;i&gt;": t_i}</c> with y one-hot except a soft
/// class mixture in row 0, at truncations 0.6 (0.6·5 is 2.9999…: two levels mixed) and 1.0 (an exact level) for
/// hf32, and 0.37 for hf64.
/// </summary>
[TestClass]
public sealed class HuggingFaceBigGanTests : TempDirTest
{
    private static readonly string HfFixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "huggingface");

    [TestMethod]
    [DataRow("hf32", "zip")]
    [DataRow("hf32", "legacy")]
    [DataRow("hf64", "zip")]
    public void TheGeneratorEqualsTheReferenceOutput(string model, string format)
    {
        using var g = HuggingFaceBigGanWeights.Load(Path.Combine(HfFixtures, $"{model}_{format}.bin"), Path.Combine(HfFixtures, $"{model}_config.json"));
        var expected = TorchCheckpoint.Load(Path.Combine(HfFixtures, $"{model}_expected.pt"));
        try
        {
            var checkedImages = 0;
            for (int i = 0; expected.ContainsKey($"image{i}"); i++)
            {
                var t = expected[$"truncation{i}"].ToDouble();
                using var z = expected["z"].mul(t);
                using var _ = no_grad();
                using var image = g.Forward(z, expected["y"], t);
                AssertClose(expected[$"image{i}"], image, 1e-4, $"{model} ({format}) at truncation {t}");
                checkedImages++;
            }
            Assert.IsTrue(checkedImages >= 1);
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    [TestMethod]
    [DataRow("hf32", 0)]
    [DataRow("hf32", 1)]
    [DataRow("hf64", 0)]
    public void TheOnnxExportInOnnxRuntimeEqualsTheReferenceOutput(string model, int image)
    {
        using var g = HuggingFaceBigGanWeights.Load(Path.Combine(HfFixtures, $"{model}_zip.bin"), Path.Combine(HfFixtures, $"{model}_config.json"));
        var expected = TorchCheckpoint.Load(Path.Combine(HfFixtures, $"{model}_expected.pt"));
        try
        {
            var t = expected[$"truncation{image}"].ToDouble();
            var path = Path.Combine(_dir, "hf.onnx");
            HuggingFaceOnnxExporter.Export(g, t, path);
            var summary = Onnx.OnnxChecker.Check(path);
            Assert.AreEqual("[\"N\",3," + g.Resolution + "," + g.Resolution + "]", summary["outputs"]!.AsArray()[0]!["dims"]!.ToJsonString());
            using var z = expected["z"].mul(t);
            var outputs = OnnxRuntimeRunner.Run(path, [OrtInput.From(HuggingFaceOnnxExporter.LatentInput, z), OrtInput.From(HuggingFaceOnnxExporter.ClassOneHotInput, expected["y"])]);
            using var ort = tensor(outputs["image"].Floats, expected[$"image{image}"].shape);
            AssertClose(expected[$"image{image}"], ort, 1e-4, $"{model} in ONNX Runtime at truncation {t}");
        }
        finally
        {
            foreach (var v in expected.Values) v.Dispose();
        }
    }

    [TestMethod]
    public void AWeightThatDoesNotFitFailsNamingIt()
    {
        var config = HuggingFaceBigGanConfig.Load(Path.Combine(HfFixtures, "hf32_config.json")) with { ZDim = 3 };
        var tensors = TorchCheckpoint.Load(Path.Combine(HfFixtures, "hf32_zip.bin"));
        try
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => new HuggingFaceBigGan(config, tensors, "hf32_zip.bin"));
            StringAssert.Contains(e.Message, "the file's 'embeddings.weight' is [2, 5], expected [3, 5]");

            var renamed = new Dictionary<string, Tensor>(tensors);
            renamed["generator.extra.weight"] = renamed["embeddings.weight"];
            renamed.Remove("generator.bn.bias");
            var e2 = Assert.ThrowsExactly<InvalidDataException>(() => new HuggingFaceBigGan(config with { ZDim = 2 }, renamed, "renamed.bin"));
            StringAssert.Contains(e2.Message, "'generator.bn.bias' [3] is missing");
            StringAssert.Contains(e2.Message, "the file's 'generator.extra.weight' has no place in the model");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [TestMethod]
    public void ABadConfigIsRefusedNamingTheField()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(HfFixtures, "hf32_config.json")).Replace("\"output_dim\": 32", "\"output_dim\": 64"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceBigGanConfig.Load(path)).Message, "output_dim 64, but 3 upsampling layers from 4×4 give 32");
        File.WriteAllText(path, "{\"layers\": 5}");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => HuggingFaceBigGanConfig.Load(path)).Message, "'layers' is missing or not a list");
    }

    [TestMethod]
    public void TruncationOutsideTheStatisticsIsRefused()
    {
        using var g = HuggingFaceBigGanWeights.Load(Path.Combine(HfFixtures, "hf32_zip.bin"), Path.Combine(HfFixtures, "hf32_config.json"));
        using var z = zeros(1, 2);
        using var y = zeros(1, 5);
        foreach (var t in new[] { 0.0, 1.5, double.NaN })
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => g.Forward(z, y, t)).Message, "expected 0 < truncation <= 1");
    }
}
