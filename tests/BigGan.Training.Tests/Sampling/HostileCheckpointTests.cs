using System.Text.Json.Nodes;
using BigGan.Training.IO;
using BigGan.Training.Sampling;
using BigGan.Training.Training;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Sampling;

/// <summary>Loading a generator for sampling distrusts the file: its configuration, its size and its values.</summary>
[TestClass]
public sealed class HostileCheckpointTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        set_num_threads(1);
        _dir = TempDir("biggan-hostile-");
    }

    [TestCleanup]
    public void Cleanup() => DeleteDir(_dir);

    private string Run(Action<BigGan.Training.Model.Generator>? change = null)
    {
        using var ema = Warmed(Small32, 21);
        if (change is not null) using (no_grad()) change(ema);
        return WriteRun(Path.Combine(_dir, "run"), Small32, ema);
    }

    private static string EmaFile(string run) => Path.Combine(Checkpoint.Latest(run)!.Path, Checkpoint.GEmaFile);

    // Rewrites one model field of the configuration in the file's metadata (the tensors are unchanged).
    private static void SetModelField(string file, string field, int value)
    {
        var (tensors, meta) = Safetensors.Load(file);
        var config = JsonNode.Parse(meta[Checkpoint.Keys.Config])!.AsObject();
        config["model"]![field] = value;
        meta[Checkpoint.Keys.Config] = config.ToJsonString();
        Safetensors.Save(tensors, file, meta);
        foreach (var t in tensors.Values) t.Dispose();
    }

    [TestMethod]
    public void AnAbsurdChannelWidthInTheMetadataIsRefusedBeforeBuilding()
    {
        var run = Run();
        var file = EmaFile(run);
        foreach (var gch in new[] { 3000, 100000 })
        {
            SetModelField(file, "g-ch", gch);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(run));
            StringAssert.Contains(e.Message, file);
            StringAssert.Contains(e.Message, $"GCh is {gch}; expected at most {BigGan.Training.Model.ModelConfig.MaxChannelMultiplier}");
            Assert.IsFalse(e.Message.Contains("(Parameter"), e.Message);
        }
        // within the limit but far bigger than the weights the file holds
        SetModelField(file, "g-ch", 1000);
        var big = Assert.ThrowsExactly<ArgumentException>(() => BigGanSampler.Load(run));
        StringAssert.Contains(big.Message, file);
        StringAssert.Contains(big.Message, "describes a generator of at least");
        StringAssert.Contains(big.Message, "the architectures differ");
    }

    [TestMethod]
    public void NonFiniteWeightsAreRefusedForSampling()
    {
        var run = Run(g => g.named_parameters().First(p => p.name == "linear.weight").parameter[0, 0] = float.PositiveInfinity);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(run));
        StringAssert.Contains(e.Message, EmaFile(run));
        StringAssert.Contains(e.Message, "tensor 'linear.weight' holds 1 NaN or infinite value");
    }

    [TestMethod]
    public void AMissingEmaFileIsReportedMissing()
    {
        var run = Run();
        File.Delete(EmaFile(run));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BigGanSampler.Load(run, new SamplerOptions { Weights = GeneratorWeights.Ema }));
        StringAssert.Contains(e.Message, "checkpoint file missing: " + EmaFile(run));
        StringAssert.Contains(e.Message, "the run kept one");
        Assert.IsFalse(e.Message.Contains("trained without EMA"), e.Message);
    }

    [TestMethod]
    public void ADamagedNewestCheckpointIsSkippedForTheNewestIntactOne()
    {
        using var ema = Warmed(Small32, 21);
        var run = WriteRun(Path.Combine(_dir, "run"), Small32, ema, step: 10);
        WriteRun(run, Small32, ema, step: 20);
        using (var intact = BigGanSampler.Load(run))
        {
            Assert.AreEqual(20L, intact.Step);
            Assert.AreEqual(0, intact.SkippedCheckpoints.Count);
        }

        var (newest, older) = (Checkpoint.Folders(run)[0].path, Checkpoint.Folders(run)[1].path);
        FlipLastByte(Path.Combine(newest, Checkpoint.GEmaFile));
        using (var fallback = BigGanSampler.Load(run))
        {
            Assert.AreEqual(10L, fallback.Step);
            Assert.AreEqual(Path.Combine(older, Checkpoint.GEmaFile), fallback.SourcePath);
            Assert.AreEqual(1, fallback.SkippedCheckpoints.Count);
            StringAssert.Contains(fallback.SkippedCheckpoints[0], Path.GetFileName(newest));
            StringAssert.Contains(fallback.SkippedCheckpoints[0], "damaged");
        }

        // nothing usable left: one error naming every checkpoint and its problem
        FlipLastByte(Path.Combine(older, Checkpoint.GEmaFile));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(run));
        StringAssert.Contains(e.Message, "no usable checkpoint in run folder");
        StringAssert.Contains(e.Message, Path.GetFileName(newest) + " (");
        StringAssert.Contains(e.Message, Path.GetFileName(older) + " (");
        // a checkpoint folder asked for by name is never swapped for another
        Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(newest));
    }

    private static void FlipLastByte(string file)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(file, bytes);
    }
}
