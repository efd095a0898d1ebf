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
}
