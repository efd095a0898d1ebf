using System.Text.Json.Nodes;
using BigGan.Training.IO;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.Support;

namespace BigGan.Training.Tests.Training;

/// <summary>
/// A run folder written by BigGAN.NET before the move to TorchSharp (its own libtorch 1.13 binding; see
/// Fixtures/legacy-run-v1-expected/README.md) still loads: its samples, with every option that changes them, equal the
/// images that version wrote, and training resumes from it.
/// </summary>
[TestClass]
public sealed class LegacyRunTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
    private static readonly string Run = Path.Combine(Fixtures, "legacy-run-v1");
    private static readonly string Expected = Path.Combine(Fixtures, "legacy-run-v1-expected");

    // Different libtorch versions, different kernels: equal up to float rounding.
    private const double Tolerance = 1e-4;

    private static void AssertImages(string file, string name, Func<BigGanSampler, Tensor> sample, SamplerOptions options)
    {
        using var scope = NewDisposeScope();
        var expected = Safetensors.Load(Path.Combine(Expected, file)).tensors[name];
        using var sampler = BigGanSampler.Load(Run, options);
        var actual = sample(sampler);
        CollectionAssert.AreEqual(expected.shape, actual.shape, name);
        var diff = expected.sub(actual).abs().max().ToDouble();
        Assert.IsTrue(diff <= Tolerance, $"{file} {name}: max |difference| {diff}");
    }

    private static readonly SamplerOptions Ema = new() { Weights = GeneratorWeights.Ema, Statistics = BatchNormStatistics.Running };

    [TestMethod]
    public void EmaSamplesEqualTheOldVersions() =>
        AssertImages("expected_samples.safetensors", "x_ema", s => s.Sample([2, 0], 2, Truncation.None, 7), Ema);

    [TestMethod]
    public void RawGeneratorSamplesEqualTheOldVersions() =>
        AssertImages("expected_samples_raw.safetensors", "x_raw", s => s.Sample([2, 0], 2, Truncation.None, 7),
            Ema with { Weights = GeneratorWeights.Raw });

    [TestMethod]
    public void TruncatedSamplesEqualTheOldVersions()
    {
        AssertImages("expected_samples_truncation.safetensors", "x_ema_paper0.5", s => s.Sample([1], 2, Truncation.Paper(0.5), 7), Ema);
        AssertImages("expected_samples_truncation.safetensors", "x_ema_tfhub0.4", s => s.Sample([1], 2, Truncation.TFHub(0.4), 7), Ema);
    }

    [TestMethod]
    public void StandingStatisticsSamplesEqualTheOldVersions() =>
        AssertImages("expected_samples_standing.safetensors", "x_ema_standing", s =>
        {
            s.UseStandingStatistics(new StandingStatisticsOptions { Accumulations = 4, BatchSize = 4, Seed = 0 }, Truncation.None);
            return s.Sample([1], 2, Truncation.None, 7);
        }, Ema);

    [TestMethod]
    public void LatentsEqualTheOldVersions()
    {
        using var scope = NewDisposeScope();
        var expected = Safetensors.Load(Path.Combine(Expected, "expected_samples.safetensors")).tensors["z"];
        using var sampler = BigGanSampler.Load(Run, Ema);
        var rows = sampler.RowClasses([2, 0], 2);
        var z = sampler.Latents(0, rows.Length, Truncation.None, 7);
        Assert.AreEqual(0.0, expected.sub(z).abs().max().ToDouble(), "the per-row latent streams do not depend on libtorch");
    }

    [TestMethod]
    public void TrainingResumesFromTheOldCheckpointAndContinuesAsItDid()
    {
        var work = Directory.CreateTempSubdirectory("biggan-legacy-");
        try
        {
            var run = Path.Combine(work.FullName, "run");
            CopyDirectory(Run, run);
            var data = Path.Combine(work.FullName, "data");
            CopyDirectory(Path.Combine(Expected, "data"), data);
            using (var p = CliProcess.Start(["train", "--resume", run, "--data", data, "--iterations", "6", "--threads", "1"]))
                Assert.AreEqual(0, p.WaitForExit(TimeSpan.FromMinutes(3)), p.Text);
            var lines = File.ReadAllLines(Path.Combine(run, "train_log.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            var expected = File.ReadAllLines(Path.Combine(Expected, "expected_resume_train_log_steps5-6.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            foreach (var want in expected)
            {
                var step = want["step"]!.GetValue<int>();
                var got = lines.Single(l => l["step"]!.GetValue<int>() == step);
                foreach (var (name, value) in want["losses"]!.AsObject())
                {
                    double w = value!.GetValue<double>(), g = got["losses"]![name]!.GetValue<double>();
                    Assert.AreEqual(w, g, 1e-3 * Math.Max(1, Math.Abs(w)), $"step {step} {name}");
                }
            }
        }
        finally { work.Delete(recursive: true); }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }
}
