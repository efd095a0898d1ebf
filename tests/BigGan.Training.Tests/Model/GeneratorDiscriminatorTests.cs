using BigGan.Training.Tests.Support;
using BigGan.Training.Model;
using G = BigGan.Training.Model.Generator;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Tests.Model;

[TestClass]
public sealed class GeneratorDiscriminatorTests
{
    private static Tensor Classes(params long[] ids) => torch.tensor(ids);

    [TestMethod]
    [DataRow(32, 3, 2)]
    [DataRow(64, 1, 2)]
    [DataRow(128, 3, 2)]
    [DataRow(256, 3, 1)]
    [DataRow(512, 1, 1)]
    public void ShapesAtEveryResolution(int resolution, int channels, int ch)
    {
        var config = new ModelConfig
        {
            Resolution = resolution, Channels = channels, NumClasses = 5, GCh = ch, DCh = ch,
            DimZ = 8 * (ArchitectureTable.GeneratorDepth(resolution) + 1), SharedDim = 6, SharedEmbedding = true, Hierarchical = true,
            GInit = Init.N02, DInit = Init.N02,
        };
        using var rng = new Rng(1);
        using var g = new G(config, rng);
        using var d = new Discriminator(config, rng);
        using var scope = NewDisposeScope();
        var z = torch.randn([2, config.DimZ], generator: rng);
        var y = Classes(0, 4);
        var x = g.forward(z, y);
        ModelAssert.Shape(x, 2, channels, resolution, resolution);
        Assert.IsTrue(x.abs().max().item<float>() <= 1f, "tanh output");
        var score = d.forward(x, y);
        ModelAssert.Shape(score, 2);
        Assert.IsTrue(score.isfinite().all().item<bool>());
        Assert.AreEqual(ArchitectureTable.GeneratorDepth(resolution), g.Blocks.Count);
    }

    [TestMethod]
    public void AttentionAtConfiguredResolutions()
    {
        var config = new ModelConfig
        {
            Resolution = 64, NumClasses = 3, GCh = 4, DCh = 8, DimZ = 10, SharedEmbedding = true, Hierarchical = true,
            GAttention = [32], DAttention = [32, 8],
        };
        using var rng = new Rng(2);
        using var g = new G(config, rng);
        using var d = new Discriminator(config, rng);
        CollectionAssert.AreEqual(new[] { false, false, true, false }, g.Attention.Select(a => a is not null).ToArray());
        CollectionAssert.AreEqual(new[] { true, false, true, false, false }, d.Attention.Select(a => a is not null).ToArray());
        Assert.AreEqual(16L, g.Attention[2]!.Channels, "after the 32×32 block, 4·ch channels");
        var keys = g.state_dict().Keys.ToList();
        Assert.IsTrue(keys.Contains("blocks.2.1.gamma"), string.Join(", ", keys));
        Assert.IsTrue(keys.Contains("blocks.2.1.theta.u0"));
        using var scope = NewDisposeScope();
        var x = g.forward(torch.randn([3, 10], generator: rng), Classes(0, 1, 2));
        ModelAssert.Shape(d.forward(x, Classes(0, 1, 2)), 3);
    }

    [TestMethod]
    public void StateDictNamesFollowTheReference()
    {
        using var rng = new Rng(3);
        using var g = new G(ModelConfig.Cifar(ch: 2), rng);
        using var d = new Discriminator(ModelConfig.Cifar(ch: 2), rng);
        var gk = g.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "linear.weight", "linear.bias", "linear.u0", "linear.sv0", "blocks.0.0.conv1.weight", "blocks.0.0.conv_sc.bias",
                     "blocks.2.0.bn2.gain.weight", "blocks.2.0.bn2.bias.weight", "blocks.2.0.bn2.stored_mean", "blocks.2.0.bn2.stored_var",
                     "output_layer.0.gain", "output_layer.0.bias", "output_layer.0.stored_var", "output_layer.2.weight", "output_layer.2.u0" })
            Assert.IsTrue(gk.Contains(k), $"G lacks {k}: {string.Join(", ", gk)}");
        Assert.IsFalse(gk.Any(k => k.StartsWith("shared")), "no shared embedding in the CIFAR config");
        var dk = d.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "blocks.0.0.conv_sc.weight", "blocks.1.0.conv_sc.weight", "embed.weight", "embed.u0", "linear.weight", "linear.bias" })
            Assert.IsTrue(dk.Contains(k), $"D lacks {k}");
        Assert.IsFalse(dk.Contains("blocks.2.0.conv_sc.weight"), "D block 3 at 32×32 keeps the identity shortcut");
    }

    [TestMethod]
    public void SeedMakesConstructionAndOutputRepeatable()
    {
        var config = ModelConfig.Cifar(ch: 2);
        using var scope = NewDisposeScope();
        Tensor Run()
        {
            using var rng = new Rng(42);
            using var g = new G(config, rng);
            return g.forward(torch.randn([4, config.DimZ], generator: rng), Classes(0, 1, 2, 3));
        }
        Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(Run(), Run()));
    }

    [TestMethod]
    public void EmbeddedForwardEqualsClassForward()
    {
        foreach (var config in new[]
                 {
                     ModelConfig.Cifar(numClasses: 4, ch: 2),
                     new ModelConfig { NumClasses = 4, GCh = 2, DCh = 2, DimZ = 12, SharedDim = 5, SharedEmbedding = true, Hierarchical = true },
                     new ModelConfig { NumClasses = 4, GCh = 2, DCh = 2, DimZ = 12, SharedEmbedding = true },
                 })
        {
            using var rng = new Rng(4);
            using var g = new G(config, rng);
            g.eval();
            using var scope = NewDisposeScope();
            var z = torch.randn([3, config.DimZ], generator: rng);
            var y = Classes(3, 0, 2);
            var direct = g.forward(z, y);
            var e = g.Embed(y);
            ModelAssert.Shape(e, 3, g.ConditionDim);
            ModelAssert.Close(direct, g.ForwardEmbedded(z, e), 1e-5, "embedded");
            var soft = g.EmbedSoft(torch.nn.functional.one_hot(y, 4).to(float32));
            ModelAssert.Close(e, soft, 1e-6, "one-hot soft embedding");
            // A 50/50 mixture embeds to the mean of the two class embeddings.
            var mix = torch.tensor(new float[] { 0.5f, 0.5f, 0, 0 }, [1, 4]);
            var mid = g.EmbedSoft(mix);
            var both = g.Embed(Classes(0, 1));
            ModelAssert.Close(both.mean([0], keepdim: true), mid, 1e-6, "soft mixture");
        }
    }

    [TestMethod]
    public void HierarchicalChunksConditionTheBlocks()
    {
        var config = new ModelConfig { NumClasses = 3, GCh = 2, DCh = 2, DimZ = 8, SharedDim = 3, SharedEmbedding = true, Hierarchical = true, GInit = Init.N02 };
        using var rng = new Rng(5);
        using var g = new G(config, rng);
        g.eval();
        Assert.AreEqual(2, g.ZChunkSize);
        Assert.AreEqual(2L, g.linear.InFeatures, "chunk 0 feeds the linear");
        Assert.AreEqual(5L, g.Blocks[2].bn2.ConditionDim, "shared 3 + chunk 2");
        using var scope = NewDisposeScope();
        var z = torch.randn([1, 8], generator: rng);
        var y = Classes(1);
        var baseline = g.forward(z, y);
        // Changing only the last chunk changes the output (it reaches the last block's cBNs).
        var z2 = z.clone();
        using (no_grad()) z2.narrow(1, 6, 2).add_(1);
        Assert.IsTrue(ModelAssert.MaxAbsDiff(baseline, g.forward(z2, y)) > 1e-4);
    }

    [TestMethod]
    public void DiscriminatorIsLinearPlusProjection()
    {
        var config = ModelConfig.Cifar(numClasses: 3, ch: 2);
        using var rng = new Rng(6);
        using var d = new Discriminator(config, rng);
        d.eval();
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 3, 32, 32], generator: rng);
        // Features h: blocks, ReLU, sum pool. Score = linear(h) + <embed(y), h>.
        var h = x;
        foreach (var b in d.Blocks) h = b.forward(h);
        h = h.relu().sum([2, 3]);
        var y = Classes(2, 0);
        var expected = d.linear.forward(h).view(-1) + (d.embed.forward(y) * h).sum(1);
        ModelAssert.Close(expected, d.forward(x, y), 1e-4, "D score");
        // Only the projection depends on the class.
        var diff = d.forward(x, Classes(1, 0)) - d.forward(x, y);
        Assert.AreEqual(0.0, diff[1].abs().item<float>(), 1e-6);
    }

    [TestMethod]
    public void BadInputsGiveClearErrors()
    {
        var config = ModelConfig.Cifar(numClasses: 3, ch: 1);
        using var rng = new Rng(7);
        using var g = new G(config, rng);
        using var d = new Discriminator(config, rng);
        using var scope = NewDisposeScope();
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => g.forward(torch.randn(2, 100), Classes(0, 1)));
        StringAssert.Contains(e1.Message, "[N, 128]");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => g.forward(torch.randn(2, 128), torch.zeros(2)));
        StringAssert.Contains(e2.Message, "int64");
        Assert.ThrowsExactly<ArgumentException>(() => g.forward(torch.randn(3, 128), Classes(0, 1)));
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => d.forward(torch.randn(2, 3, 16, 16), Classes(0, 1)));
        StringAssert.Contains(e3.Message, "[N, 3, 32, 32]");
        Assert.ThrowsExactly<ArgumentException>(() => g.ForwardEmbedded(torch.randn(2, 128), torch.randn(2, 5)));
    }

    [TestMethod]
    public void InitStylesSetTheWeights()
    {
        var config = ModelConfig.Cifar(numClasses: 3, ch: 2);
        using var rng = new Rng(8);
        using var scope = NewDisposeScope();
        using (var g = new G(config with { GInit = Init.N02 }, rng))
        {
            var std = g.Blocks[0].conv1.weight.std().ToDouble();
            Assert.AreEqual(0.02, std, 0.004, "N(0, 0.02)");
            var table = g.Blocks[0].bn1.Gain is Embedding e ? e.weight.std().ToDouble() : double.NaN;
            Assert.AreEqual(0.02, table, 0.01, "cBN tables get the init too");
            Assert.AreEqual(1.0, g.output_bn.gain.mean().ToDouble(), 0, "BN gain stays 1");
        }
        using (var g = new G(config with { GInit = Init.Ortho }, rng))
        {
            var w = g.Blocks[0].conv1.weight.view(8, -1);
            ModelAssert.Close(torch.eye(8), w.mm(w.t()), 1e-5, "orthogonal rows");
        }
        using (var d = new Discriminator(config with { DInit = Init.Xavier }, rng))
        {
            var w = d.Blocks[1].conv1.weight;
            var bound = Math.Sqrt(6.0 / (8 * 9 + 8 * 9));
            Assert.IsTrue(w.abs().max().ToDouble() <= bound + 1e-7);
            Assert.IsTrue(w.abs().max().ToDouble() > bound * 0.9);
        }
    }
}

[TestClass]
public sealed class MemoryLayoutTests
{
    [TestMethod]
    public void ChannelsLastAndNchwGiveTheSameModel()
    {
        var config = new ModelConfig
        {
            Resolution = 32, NumClasses = 3, GCh = 4, DCh = 4, DimZ = 8, SharedEmbedding = true, Hierarchical = true,
            GAttention = [16], DAttention = [16],
        };
        using var scope = NewDisposeScope();
        (Tensor image, Tensor score, Tensor gradZ, Tensor gradW) Run(bool channelsLast)
        {
            var saved = MemoryLayout.ChannelsLast;
            MemoryLayout.ChannelsLast = channelsLast;
            try
            {
                using var rng = new Rng(11);
                using var g = new BigGan.Training.Model.Generator(config, rng);
                using var d = new Discriminator(config, rng);
                using (no_grad()) { g.Attention[1]!.gamma.fill_(0.3); d.Attention[0]!.gamma.fill_(-0.2); }
                var z = torch.randn([4, 8], generator: rng).requires_grad_();
                var y = torch.tensor(new long[] { 0, 1, 2, 1 });
                var image = g.forward(z, y);
                Assert.IsTrue(image.is_contiguous(), "G returns an ordinary contiguous NCHW tensor");
                var score = d.forward(image, y);
                score.sum().backward();
                return (image, score, z.grad!, g.Blocks[1].conv1.weight.grad!.contiguous());
            }
            finally { MemoryLayout.ChannelsLast = saved; }
        }
        // One thread: oneDNN's multi-threaded few-channel NCHW convolution backward is wrong (see ConvolutionTests); the
        // product never runs it, but this comparison needs a correct NCHW reference.
        var threads = torch.get_num_threads();
        torch.set_num_threads(1);
        (Tensor image, Tensor score, Tensor gradZ, Tensor gradW) a, b;
        try { a = Run(true); b = Run(false); }
        finally { torch.set_num_threads(threads); }
        ModelAssert.Close(b.image, a.image, 1e-5, "image");
        ModelAssert.Close(b.score, a.score, 1e-3, "score");
        ModelAssert.Close(b.gradZ, a.gradZ, 1e-3, "dscore/dz");
        ModelAssert.Close(b.gradW, a.gradW, 1e-2, "dscore/dW");
    }

    [TestMethod]
    public void FeatureMapsStayChannelsLast()
    {
        using var rng = new Rng(12);
        using var block = new GBlock(8, 8, c => ConditionalBatchNorm.Tables(c, 2, 1e-5, rng), default, rng);
        using var attention = new SelfAttention(8, default, rng);
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 8, 4, 4], generator: rng).contiguous(MemoryFormat.ChannelsLast);
        var h = block.forward(x, torch.tensor(new long[] { 0, 1 }));
        Assert.IsTrue(h.is_contiguous(MemoryFormat.ChannelsLast), "GBlock output");
        Assert.IsTrue(attention.forward(h).is_contiguous(MemoryFormat.ChannelsLast), "attention output");
    }
}

[TestClass]
public sealed class ModelLifetimeTests
{
    [TestMethod]
    public void TrainingStepsLeakNoTensors()
    {
        var config = new ModelConfig { NumClasses = 3, GCh = 2, DCh = 8, DimZ = 8, SharedEmbedding = true, Hierarchical = true, DAttention = [16] };
        using var rng = new Rng(13);
        using var g = new BigGan.Training.Model.Generator(config, rng);
        using var d = new Discriminator(config, rng);
        void Step()
        {
            using var scope = NewDisposeScope();
            var y = torch.randint(0, 3, [4], generator: rng);
            var fake = g.forward(torch.randn([4, 8], generator: rng), y);
            var loss = d.forward(fake, y).mean();
            loss.backward();
            g.zero_grad();
            d.zero_grad();
            using (no_grad()) g.forward(torch.randn([4, 8], generator: rng), y);
            g.SingularValues();
        }
        Step();
        var before = LiveTensors.Now();
        for (int i = 0; i < 3; i++) Step();
        LiveTensors.AssertUnchangedSince(before, "three G+D steps");
    }
}
