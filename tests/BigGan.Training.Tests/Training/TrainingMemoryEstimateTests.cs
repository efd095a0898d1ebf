using BigGan.Training.Model;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

/// <summary>The up-front memory estimate of a training configuration: ordinary runs pass, hopeless sizes are refused
/// naming what to lower, and absurd sizes never wrap around to a small number.</summary>
[TestClass]
public sealed class TrainingMemoryEstimateTests
{
    private const long Gb = 1_000_000_000;

    private static RunConfig Config(int ch = 64, int batch = 64, int resolution = 32) =>
        new(new ModelConfig { Resolution = resolution, GCh = ch, DCh = ch }, new TrainConfig { BatchSize = batch });

    [TestMethod]
    public void TheReferenceCifarConfigurationNeedsAFewGigabytesAtMost()
    {
        var e = TrainingMemoryEstimate.For(Config());
        // BigGAN at 32×32, width 64: about 4.3M parameters in G and in D each.
        Assert.IsTrue(e.GParameters is > 3_000_000 and < 6_000_000, $"G {e.GParameters}");
        Assert.IsTrue(e.DParameters is > 3_000_000 and < 6_000_000, $"D {e.DParameters}");
        Assert.IsTrue(e.TotalBytes is > Gb / 10 and < 4 * Gb, e.ToString());
        e.ThrowIfOver(8 * Gb);
    }

    [TestMethod]
    public void TheEstimateGrowsWithTheBatchAndTheWidthAndIsSharedByProcesses()
    {
        var small = TrainingMemoryEstimate.For(Config(batch: 64));
        var large = TrainingMemoryEstimate.For(Config(batch: 128));
        Assert.AreEqual(small.ParameterBytes, large.ParameterBytes);
        Assert.AreEqual(2 * small.ActivationBytes, large.ActivationBytes);
        Assert.IsGreaterThan(3.5 * small.ParameterBytes, (double)TrainingMemoryEstimate.For(Config(ch: 128)).ParameterBytes);
        var twoProcesses = TrainingMemoryEstimate.For(Config(batch: 128), worldSize: 2, processesHere: 2);
        Assert.AreEqual(small.ActivationBytes, twoProcesses.ActivationBytes, "each process holds its half of the batch");
        Assert.AreEqual(2 * (small.ParameterBytes + small.ActivationBytes), twoProcesses.TotalBytes, "and its own parameters");
    }

    [TestMethod]
    public void HopelessSizesAreRefusedNamingWhatToLower()
    {
        var wide = Assert.ThrowsExactly<ArgumentException>(() => TrainingMemoryEstimate.For(Config(ch: 2000)).ThrowIfOver(64 * Gb));
        StringAssert.Contains(wide.Message, "lower --ch");
        StringAssert.Contains(wide.Message, "more than the 64 GB available");
        var batch = Assert.ThrowsExactly<ArgumentException>(() => TrainingMemoryEstimate.For(Config(batch: 30000)).ThrowIfOver(64 * Gb));
        StringAssert.Contains(batch.Message, "lower --batch-size");
    }

    [TestMethod]
    public void AbsurdSizesSaturateInsteadOfOverflowing()
    {
        foreach (var config in new[] { Config(ch: 100_000_000), Config(ch: int.MaxValue), Config(ch: 20_000, batch: int.MaxValue, resolution: 512) })
        {
            var e = TrainingMemoryEstimate.For(config);
            Assert.IsGreaterThan(1000 * Gb, e.TotalBytes, e.ToString());
            Assert.ThrowsExactly<ArgumentException>(() => e.ThrowIfOver(long.MaxValue - 1));
        }
    }
}
