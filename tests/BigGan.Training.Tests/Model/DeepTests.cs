using BigGan.Training.Tests.Support;
using BigGan.Training.Model;
using G = BigGan.Training.Model.Generator;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Tests.Model;

/// <summary>BigGAN-deep against BigGANdeep.py: parameter counts computed by constructing the reference modules with
/// Python torch 1.13 (G_depth = D_depth = 2, dim_z 128, shared 128, hier), shapes, names and block formulas.</summary>
[TestClass]
public sealed class DeepTests
{
    private static ModelConfig Deep(int resolution, int ch, int[] attention, int classes) => new()
    {
        Deep = true, Resolution = resolution, GCh = ch, DCh = ch, NumClasses = classes, DimZ = 128, SharedDim = 128,
        SharedEmbedding = true, Hierarchical = true, GAttention = attention, DAttention = attention,
    };

    [TestMethod]
    [DataRow(64, 16, 32, 10, 2_805_604L, 300_226L)]
    [DataRow(32, 8, 0, 10, 316_147L, 11_569L)]
    [DataRow(256, 4, 0, 5, 685_335L, 36_313L)]
    public void ParameterCountsMatchTheReference(int resolution, int ch, int attention, int classes, long gCount, long dCount)
    {
        var config = Deep(resolution, ch, attention == 0 ? [] : [attention], classes);
        using var rng = new Rng(0);
        using var g = new G(config, rng, skipInit: true);
        using var d = new Discriminator(config, rng, skipInit: true);
        Assert.AreEqual(gCount, g.ParameterCount(), "G");
        Assert.AreEqual(dCount, d.ParameterCount(), "D");
    }

    [TestMethod]
    public void ImageNet128DeepCounts()
    {
        // launch_BigGAN_deep.sh: ch 128, depth 2, dim_z 128, shared 128, hier, attention 64.
        var config = Deep(128, 128, [64], 1000);
        using var rng = new Rng(0);
        using (var g = new G(config, rng, skipInit: true)) Assert.AreEqual(50_244_484L, g.ParameterCount());
        using (var d = new Discriminator(config, rng, skipInit: true)) Assert.AreEqual(34_590_210L, d.ParameterCount());
    }

    [TestMethod]
    public void ShapesNamesAndLayouts()
    {
        var config = Deep(64, 4, [32], 3) with { DimZ = 6, SharedDim = 5 };
        using var rng = new Rng(1);
        using var g = new G(config, rng);
        using var d = new Discriminator(config, rng);
        Assert.AreEqual(11L, g.linear.InFeatures, "[shared(y), z]");
        Assert.AreEqual(11L, g.DeepStages[0][0].bn1.ConditionDim);
        var gk = g.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "blocks.0.0.conv4.weight", "blocks.0.1.bn4.gain.weight", "blocks.2.2.gamma", "output_layer.2.weight" })
            Assert.IsTrue(gk.Contains(k), $"G lacks {k}");
        var dk = d.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "input_conv.weight", "blocks.0.0.conv_sc.weight", "blocks.0.1.conv4.weight", "blocks.0.2.gamma", "embed.weight" })
            Assert.IsTrue(dk.Contains(k), $"D lacks {k}: {string.Join(", ", dk)}");
        Assert.IsFalse(dk.Contains("blocks.0.1.conv_sc.weight"), "later blocks of a stage keep the width");
        using var scope = NewDisposeScope();
        foreach (var layout in new[] { true, false })
        {
            MemoryLayout.ChannelsLast = layout;
            try
            {
                var y = torch.tensor(new long[] { 2, 0 });
                var x = g.forward(torch.randn([2, 6], generator: rng), y);
                ModelAssert.Shape(x, 2, 3, 64, 64);
                ModelAssert.Shape(d.forward(x, y), 2);
            }
            finally { MemoryLayout.ChannelsLast = true; }
        }
    }

    [TestMethod]
    public void DeepGBlockFormula()
    {
        using var rng = new Rng(2);
        using var block = new DeepGBlock(8, 4, true, c => ConditionalBatchNorm.Tables(c, 2, 1e-5, rng), default, rng);
        block.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = torch.randn([2, 8, 3, 3], generator: rng);
        var y = torch.tensor(new long[] { 1, 0 });
        var h = block.conv1.forward(block.bn1.forward(x, y).relu());
        h = torch.nn.functional.interpolate(block.bn2.forward(h, y).relu(), scale_factor: [2.0, 2.0]);
        h = block.conv2.forward(h);
        h = block.conv3.forward(block.bn3.forward(h, y).relu());
        h = block.conv4.forward(block.bn4.forward(h, y).relu());
        var expected = h + torch.nn.functional.interpolate(x.narrow(1, 0, 4), scale_factor: [2.0, 2.0]);
        ModelAssert.Close(expected, block.forward(x, y), 1e-5, "deep G block");
    }

    [TestMethod]
    public void DeepDBlockFormula()
    {
        using var rng = new Rng(3);
        using var block = new DeepDBlock(4, 8, true, default, rng);
        block.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = torch.randn([2, 4, 4, 4], generator: rng);
        var h = block.conv1.forward(x.relu());
        h = block.conv3.forward(block.conv2.forward(h.relu()).relu()).relu();
        h = block.conv4.forward(torch.nn.functional.avg_pool2d(h, 2));
        var pooled = torch.nn.functional.avg_pool2d(x, 2);
        var expected = h + torch.cat([pooled, block.conv_sc!.forward(pooled)], 1);
        ModelAssert.Close(expected, block.forward(x), 1e-5, "deep D block");
    }

    [TestMethod]
    public void DeepBlocksGradcheck()
    {
        using var rng = new Rng(4);
        var sn = new SpectralNormOptions(1, 1, 1e-8);
        using var gBlock = new DeepGBlock(8, 4, true, c => ConditionalBatchNorm.Linear(c, 3, 1e-5, sn, rng), sn, rng);
        using var dBlock = new DeepDBlock(2, 4, true, sn, rng);
        gBlock.to(float64);
        dBlock.to(float64);
        using var scope = NewDisposeScope();
        var x = torch.randn([3, 8, 2, 2], float64, generator: rng).requires_grad_();
        var c = torch.randn([3, 3], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(gBlock, () => gBlock.forward(x, c));
        GradCheck.Run(a => gBlock.forward(a[0], a[1]), [x, c], atol: 1e-5, rtol: 1e-3);
        var xd = torch.randn([2, 2, 4, 4], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(dBlock, () => dBlock.forward(xd));
        GradCheck.Run(a => dBlock.forward(a[0]), [xd], atol: 1e-5, rtol: 1e-3);
    }
}
