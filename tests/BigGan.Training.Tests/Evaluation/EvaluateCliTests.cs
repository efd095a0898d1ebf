using System.Text.Json.Nodes;
using BigGan.Training.Evaluation;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Data.DataFixtures;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Evaluation;

/// <summary>`biggan evaluate` on a tiny run and on folders of images, with an untrained (but fixed) feature network.</summary>
[TestClass]
public sealed class EvaluateCliTests
{
    private static string _dir = "", _run = "", _gray = "", _rgb = "", _gray32 = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _dir = TempDir("biggan-cli-evaluate-");
        using var ema = Warmed(Small32, 61);
        _run = WriteRun(Path.Combine(_dir, "run"), Small32, ema, step: 9);
        using (var gray = new SmallCnnClassifier(new ClassifierConfig(1, 16, 2, Width: 4, FeatureDimension: 8), seed: 3)) gray.Save(_gray = Path.Combine(_dir, "gray.safetensors"));
        using (var gray32 = new SmallCnnClassifier(new ClassifierConfig(1, 32, 3, Width: 4, FeatureDimension: 8), seed: 5)) gray32.Save(_gray32 = Path.Combine(_dir, "gray32.safetensors"));
        using (var rgb = new SmallCnnClassifier(new ClassifierConfig(3, 32, 3, Width: 4, FeatureDimension: 8), seed: 4)) rgb.Save(_rgb = Path.Combine(_dir, "rgb.safetensors"));
        WriteGrayFolder("real", classes: 2, (c, i, y, x) => (c * 90 + i * 7 + y * x) % 256);
        WriteGrayFolder("same", classes: 2, (c, i, y, x) => (c * 90 + i * 7 + y * x) % 256);
        WriteGrayFolder("other", classes: 2, (c, i, y, x) => (y * 16 + x + i * 31) % 256 > 128 ? 255 : 0);
        WriteGrayFolder("three", classes: 3, (c, i, y, x) => (c + i + y + x) % 256);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 4; i++)
                WritePng(Path.Combine(_dir, "real-rgb", $"{c}", $"{i}.png"), Enumerable.Range(0, 3 * 32 * 32).Select(k => (byte)((k * (c + 1) + i * 13 + k / 1024 * 50) % 256)).ToArray(), 3, 32, 32);
    }

    private static void WriteGrayFolder(string name, int classes, Func<int, int, int, int, int> pixel)
    {
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < 12; i++)
                WritePng(Path.Combine(_dir, name, $"{c:00}", $"{i:00}.png"), GrayImage(16, 16, (y, x) => pixel(c, i, y, x)), 1, 16, 16);
    }

    [ClassCleanup]
    public static void Cleanup() => DeleteDir(_dir);

    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start(["evaluate", .. args, "--threads", "1"]);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, p.Text);
    }

    private static JsonNode Scores(string folder, params string[] extra)
    {
        var json = Path.Combine(_dir, $"{Path.GetFileName(folder)}.json");
        var (code, text) = Biggan(["--samples", Path.Combine(_dir, folder), "--data", Path.Combine(_dir, "real"), "--classifier", _gray, "--json", json, .. extra]);
        Assert.AreEqual(0, code, text);
        return JsonNode.Parse(File.ReadAllText(json))!;
    }

    [TestMethod]
    public void SamplesIdenticalToTheRealDataScoreAFidNearZeroAndOthersDoNot()
    {
        var same = Scores("same");
        var other = Scores("other");
        double fidSame = same["scores"]!["fid"]!.GetValue<double>(), fidOther = other["scores"]!["fid"]!.GetValue<double>();
        Assert.IsLessThan(1e-3 * fidOther, Math.Abs(fidSame), $"identical images: FID {fidSame}, other images: {fidOther}");
        Assert.AreEqual(24, same["generated"]!.GetValue<int>());
        Assert.AreEqual(24, same["real"]!.GetValue<int>());
        Assert.AreEqual(Path.Combine(_dir, "same"), same["samples"]!.GetValue<string>());
        Assert.IsNull(same["run"], "no run was evaluated");
        // Identical sets: the classifier agrees with the folder labels exactly as often as with the real labels.
        Assert.AreEqual(same["scores"]!["classifier_real_accuracy"]!.GetValue<double>(), same["scores"]!["class_agreement"]!.GetValue<double>(), 1e-12);
    }

    [TestMethod]
    public void ARunIsSampledPerClassAndItsScoresGoIntoTheRunFolder()
    {
        var (code, text) = Biggan("--run", _run, "--data", Path.Combine(_dir, "real-rgb"), "--classifier", _rgb, "--per-class", "4", "--cas");
        Assert.AreEqual(0, code, text);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_run, "evaluation.json")))!;
        Assert.AreEqual(9, json["step"]!.GetValue<long>());
        Assert.AreEqual(12, json["generated"]!.GetValue<int>());
        Assert.AreEqual(12, json["real"]!.GetValue<int>());
        var cas = json["scores"]!["cas"]!.GetValue<double>();
        Assert.IsTrue(cas is >= 0 and <= 1, $"CAS {cas}");
        Assert.IsGreaterThan(0, json["scores"]!["fid"]!.GetValue<double>());
    }

    [TestMethod]
    public void AnRgbRunIsScoredByAGrayClassifierThroughLuma()
    {
        // BigGAN-PyTorch's generators always draw RGB, also when trained on gray data: scored as the data loader
        // would convert them.
        var json = Path.Combine(_dir, "gray32.json");
        var (code, text) = Biggan("--run", _run, "--data", Path.Combine(_dir, "three"), "--classifier", _gray32, "--per-class", "4", "--json", json);
        Assert.AreEqual(0, code, text);
        var node = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.AreEqual(12, node["generated"]!.GetValue<int>());
        Assert.IsGreaterThan(0, node["scores"]!["fid"]!.GetValue<double>());
    }

    // The tiny RGB run scored with 4 samples per class; the evaluation JSON written to _dir/name.
    private static JsonNode RunScores(string name, params string[] extra)
    {
        var json = Path.Combine(_dir, name);
        var (code, text) = Biggan(["--run", _run, "--data", Path.Combine(_dir, "real-rgb"), "--classifier", _rgb, "--per-class", "4", "--json", json, .. extra]);
        Assert.AreEqual(0, code, text);
        return JsonNode.Parse(File.ReadAllText(json))!;
    }

    [TestMethod]
    public void TruncationIsAppliedToTheRunsLatentsAndRecorded()
    {
        string Scores(params string[] extra)
        {
            var node = RunScores("eval.json", extra);
            return $"{node["truncation"]!.GetValue<string>()} {node["scores"]!["fid"]!.GetValue<double>():R}";
        }
        var plain = Scores();
        var truncated = Scores("--truncation", "0.3");
        StringAssert.StartsWith(plain, "none ");
        StringAssert.StartsWith(truncated, "0.3 ");
        Assert.AreNotEqual(plain[5..], truncated[4..], "truncated latents make other images, so another FID");
        var (code, text) = Biggan("--run", _run, "--data", Path.Combine(_dir, "real-rgb"), "--classifier", _rgb, "--truncation", "-1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--truncation -1");
        StringAssert.Contains(text, "expected a number > 0");
    }

    [TestMethod]
    public void StandingStatisticsAreAccumulatedAtTheTruncationAndRecorded()
    {
        JsonNode Scores(params string[] extra) => RunScores("standing.json", extra);
        double Fid(JsonNode n) => n["scores"]!["fid"]!.GetValue<double>();
        var running = Scores("--truncation", "0.5");
        var standing = Scores("--truncation", "0.5", "--standing-stats", "2");
        var again = Scores("--truncation", "0.5", "--standing-stats", "2");
        Assert.IsNull(running["standing_stats"]);
        Assert.AreEqual(2, standing["standing_stats"]!.GetValue<int>());
        Assert.AreNotEqual(Fid(running), Fid(standing), "other batch-norm statistics, other images");
        Assert.AreEqual(Fid(standing), Fid(again), "the standing passes are seeded");
        var (code, text) = Biggan("--samples", Path.Combine(_dir, "same"), "--data", Path.Combine(_dir, "real"), "--classifier", _gray, "--standing-stats", "2");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--standing-stats applies to a generator (--run)");
        (code, text) = Biggan("--run", _run, "--data", Path.Combine(_dir, "real-rgb"), "--classifier", _rgb, "--standing-stats", "-1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--standing-stats -1: expected 0");
    }

    [TestMethod]
    public void TheAugmentationCheckTrainsWithAndWithoutTheRunsImagesAndRecordsBoth()
    {
        var a = RunScores("augmentation.json", "--augmentation-check")["augmentation"]!;
        Assert.AreEqual(100, a["real_per_class"]!.GetValue<int>());
        Assert.AreEqual(100, a["synthetic_per_class"]!.GetValue<int>());
        Assert.AreEqual(12, a["test_images"]!.GetValue<int>(), "real-rgb has no test split: its 3 × 4 images serve");
        // Each figure is a share of the set it claims: test images for the accuracies, 3 classes × 100 for the agreement.
        foreach (var (key, count) in new[] { ("real_only_accuracy", 12), ("augmented_accuracy", 12), ("synthetic_agreement", 300) })
        {
            var share = a[key]!.GetValue<double>();
            Assert.IsTrue(share is >= 0 and <= 1, $"{key} = {share}");
            Assert.AreEqual(Math.Round(share * count), share * count, 1e-9, $"{key} = {share} is not a share of {count}");
        }
        var (code, text) = Biggan("--samples", Path.Combine(_dir, "same"), "--data", Path.Combine(_dir, "real"), "--classifier", _gray, "--augmentation-check");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--augmentation-check applies to a generator (--run), not to --samples");
    }

    [TestMethod]
    public void BadArgumentsGiveOneClearLine()
    {
        var (code, text) = Biggan("--run", _run, "--samples", Path.Combine(_dir, "same"), "--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "not both");
        (code, text) = Biggan("--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "either --run");
        (code, text) = Biggan("--samples", Path.Combine(_dir, "same"), "--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--data is required");
        (code, text) = Biggan("--samples", Path.Combine(_dir, "three"), "--data", Path.Combine(_dir, "real"), "--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "knows 2 classes but the generated images have 3");
        (code, text) = Biggan("--samples", Path.Combine(_dir, "real-rgb"), "--data", Path.Combine(_dir, "real"), "--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "3 channel(s) but the classifier reads 1");
        (code, text) = Biggan("--run", _run, "--data", Path.Combine(_dir, "real-rgb"), "--classifier", _gray);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "32×32 images but the classifier reads 16×16");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "same", "evaluation.json")), "nothing written on failure");
    }
}
