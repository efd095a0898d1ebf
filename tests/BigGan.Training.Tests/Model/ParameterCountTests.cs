using BigGan.Training.Tests.Support;
using BigGan.Training.Model;
using G = BigGan.Training.Model.Generator;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Tests.Model;

/// <summary>Counts equal the reference's for its documented configurations (biggan-anchors.md).</summary>
[TestClass]
public sealed class ParameterCountTests
{
    [TestMethod]
    public void CifarScriptConfig()
    {
        using var rng = new Rng(0);
        var config = ModelConfig.Cifar();
        using var g = new G(config, rng, skipInit: true);
        using var d = new Discriminator(config, rng, skipInit: true);
        Assert.AreEqual(4_304_387L, g.ParameterCount());
        Assert.AreEqual(4_207_361L, d.ParameterCount());
    }

    /// <summary>The demo's model: the CIFAR arrangement at ch 16 for 1-channel 32×32 images (the reference counted with
    /// its last G conv writing 1 channel and its first D block reading 1).</summary>
    [TestMethod]
    public void DemoConfigGrayscaleCh16()
    {
        using var rng = new Rng(0);
        var config = ModelConfig.Cifar(numClasses: 10, channels: 1, ch: 16);
        using var g = new G(config, rng, skipInit: true);
        using var d = new Discriminator(config, rng, skipInit: true);
        Assert.AreEqual(374_529L, g.ParameterCount());
        Assert.AreEqual(264_129L, d.ParameterCount());
    }

    [TestMethod]
    public void ImageNet128Ch96SharedHierarchical()
    {
        using var rng = new Rng(0);
        var config = ModelConfig.ImageNet128();
        using (var g = new G(config, rng, skipInit: true))
        {
            Assert.AreEqual(70_433_988L, g.ParameterCount());
            Assert.AreEqual(20, g.ZChunkSize);
            Assert.AreEqual(148L, g.Blocks[0].bn1.ConditionDim);
            Assert.IsNotNull(g.Attention[3], "G attention after the block that outputs 64×64");
        }
        using (var d = new Discriminator(config, rng, skipInit: true))
        {
            Assert.AreEqual(87_982_370L, d.ParameterCount());
            Assert.IsNotNull(d.Attention[0], "D attention after the first block (64×64)");
        }
    }
}
