using BigGan.Training.Tests.Support;
using BigGan.Training.Model;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Tests.Model;

[TestClass]
public sealed class LayerTests
{
    private static readonly SpectralNormOptions Sn = new(1, 1, 1e-8);

    // Batch statistics over N, H, W (biased variance), written out.
    private static Tensor Normalize(Tensor x, double eps)
    {
        var mean = x.mean([0, 2, 3], keepdim: true);
        var variance = x.sub(mean).square().mean([0, 2, 3], keepdim: true);
        return x.sub(mean).div(variance.add(eps).sqrt());
    }

    // W/σ for an SN layer as the next training forward will compute it from the stored u.
    private static Tensor NormalizedFromStoredU(SpectralNorm layer)
    {
        var w = layer.weight.view(layer.weight.shape[0], -1);
        var uw = layer.U[0].mm(w);
        var v = uw / uw.norm();
        return layer.weight / v.mm(w.t()).norm();
    }

    [TestMethod]
    public void ConditionalBatchNormLinearFormula()
    {
        using var rng = new Rng(1);
        using var bn = ConditionalBatchNorm.Linear(3, 6, 1e-5, Sn, rng);
        using var scope = NewDisposeScope();
        var x = torch.randn([4, 3, 5, 5], generator: rng).mul(2).add(1);
        var c = torch.randn([4, 6], generator: rng);
        Tensor wg, wb;
        using (no_grad())
        {
            wg = NormalizedFromStoredU((SNLinear)bn.Gain);
            wb = NormalizedFromStoredU((SNLinear)bn.Bias);
        }
        var y = bn.forward(x, c);
        var gain = c.mm(wg.t()).add(1).view(4, 3, 1, 1);
        var bias = c.mm(wb.t()).view(4, 3, 1, 1);
        var expected = Normalize(x, 1e-5) * gain + bias;
        ModelAssert.Close(expected, y, 1e-4, "cBN (1 + gain) · bn(x) + bias");

        // Running statistics: momentum 0.1 towards the batch mean and the unbiased batch variance.
        var mean = x.mean([0, 2, 3]);
        var unbiased = x.var([0, 2, 3]);
        ModelAssert.Close(mean * 0.1, bn.stored_mean, 1e-5, "stored_mean");
        ModelAssert.Close(unbiased * 0.1 + 0.9, bn.stored_var, 1e-4, "stored_var");

        // Eval mode normalises with the stored statistics.
        bn.eval();
        using (no_grad())
        {
            wg = NormalizedFromStoredU((SNLinear)bn.Gain);
            wb = NormalizedFromStoredU((SNLinear)bn.Bias);
        }
        var stats = x.sub(bn.stored_mean.view(1, 3, 1, 1)).div(bn.stored_var.add(1e-5).sqrt().view(1, 3, 1, 1));
        var evalExpected = stats * c.mm(wg.t()).add(1).view(4, 3, 1, 1) + c.mm(wb.t()).view(4, 3, 1, 1);
        ModelAssert.Close(evalExpected, bn.forward(x, c), 1e-4, "cBN eval");
    }

    [TestMethod]
    public void ConditionalBatchNormPerClassTables()
    {
        using var rng = new Rng(2);
        using var bn = ConditionalBatchNorm.Tables(3, 5, 1e-5, rng);
        Assert.IsInstanceOfType<Embedding>(bn.Gain);
        using var scope = NewDisposeScope();
        var gainTable = ((Embedding)bn.Gain).weight;
        var biasTable = ((Embedding)bn.Bias).weight;
        var x = torch.randn([4, 3, 2, 3], generator: rng);
        var y = torch.tensor(new long[] { 4, 0, 4, 2 });
        var expected = Normalize(x, 1e-5) * gainTable.index_select(0, y).add(1).view(4, 3, 1, 1) + biasTable.index_select(0, y).view(4, 3, 1, 1);
        ModelAssert.Close(expected, bn.forward(x, y), 1e-5, "table cBN");
        // Float class weights mix the table rows.
        var oneHot = torch.nn.functional.one_hot(y, 5).to(float32);
        ModelAssert.Close(expected, bn.forward(x, oneHot), 1e-5, "table cBN from one-hot weights");
    }

    [TestMethod]
    public void BatchNormHasLearnableAffine()
    {
        using var bn = new BatchNorm2d(3);
        using var scope = NewDisposeScope();
        using (no_grad()) { bn.gain.fill_(2); bn.bias.fill_(-1); }
        var x = torch.randn([5, 3, 2, 2], generator: new Rng(3));
        ModelAssert.Close(Normalize(x, 1e-5) * 2 - 1, bn.forward(x), 1e-5, "BN affine");
    }

    [TestMethod]
    public void AttentionWithZeroGammaIsTheIdentity()
    {
        using var rng = new Rng(4);
        using var attention = new SelfAttention(16, Sn, rng);
        Assert.AreEqual(0.0, attention.gamma.ToDouble());
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 16, 4, 6], generator: rng);
        Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(x, attention.forward(x)));
    }

    [TestMethod]
    public void AttentionMatchesExplicitLoops()
    {
        using var rng = new Rng(5);
        using var attention = new SelfAttention(8, Sn, rng);
        attention.eval();
        using var scope = NewDisposeScope();
        using (no_grad()) attention.gamma.fill_(0.7);
        var x = torch.randn([1, 8, 4, 4], generator: rng);
        var y = attention.forward(x);
        using var _ = no_grad();
        // Explicit: per query position i, softmax over the 4 pooled key positions j of θ_i·φ_j.
        var theta = attention.theta.forward(x).view(1, 16).ToArray<float>();           // [1 ch, 16 positions]
        var phi = torch.nn.functional.max_pool2d(attention.phi.forward(x), 2).view(1, 4).ToArray<float>();
        var g = torch.nn.functional.max_pool2d(attention.g.forward(x), 2).view(4, 4).ToArray<float>();   // [4 ch, 4 positions]
        var mixed = new float[4 * 16];
        for (int i = 0; i < 16; i++)
        {
            var logits = Enumerable.Range(0, 4).Select(j => (double)theta[i] * phi[j]).ToArray();
            var m = logits.Max();
            var e = logits.Select(l => Math.Exp(l - m)).ToArray();
            var s = e.Sum();
            for (int c = 0; c < 4; c++)
                mixed[c * 16 + i] = (float)Enumerable.Range(0, 4).Sum(j => e[j] / s * g[c * 4 + j]);
        }
        var expected = x + attention.o.forward(torch.tensor(mixed, [1, 4, 4, 4])) * 0.7;
        ModelAssert.Close(expected, y, 1e-5, "attention");
    }

    [TestMethod]
    public void AttentionGradcheck()
    {
        using var rng = new Rng(6);
        using var attention = new SelfAttention(8, Sn, rng);
        attention.to(float64);
        using var scope = NewDisposeScope();
        using (no_grad()) attention.gamma.fill_(0.5);
        var x = torch.randn([2, 8, 4, 4], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(attention, () => attention.forward(x));
        GradCheck.Run(a => attention.forward(a[0]), [x, attention.gamma, attention.theta.weight], atol: 1e-5, rtol: 1e-3);
    }

    [TestMethod]
    public void GBlockGradcheckInTrainingMode()
    {
        using var rng = new Rng(7);
        using var block = new GBlock(3, 2, c => ConditionalBatchNorm.Linear(c, 4, 1e-5, Sn, rng), Sn, rng);
        block.to(float64);
        using var scope = NewDisposeScope();
        var x = torch.randn([3, 3, 2, 2], float64, generator: rng).requires_grad_();
        var c = torch.randn([3, 4], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(block, () => block.forward(x, c));
        var y = block.forward(x, c);
        ModelAssert.Shape(y, 3, 2, 4, 4);
        GradCheck.Run(a => block.forward(a[0], a[1]), [x, c, block.conv1.bias!], atol: 1e-5, rtol: 1e-3);
    }

    [TestMethod]
    public void GBlockMatchesReferenceOrder()
    {
        // Reference order: shortcut upsampled, then 1×1 conv. Here the conv runs first; the result must agree.
        using var rng = new Rng(8);
        using var block = new GBlock(4, 3, c => ConditionalBatchNorm.Tables(c, 2, 1e-5, rng), Sn, rng);
        block.eval();
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 4, 3, 3], generator: rng);
        var y = torch.tensor(new long[] { 1, 0 });
        using var _ = no_grad();
        var up = torch.nn.functional.interpolate(block.bn1.forward(x, y).relu(), scale_factor: [2.0, 2.0]);
        var h = block.conv2.forward(block.bn2.forward(block.conv1.forward(up), y).relu());
        var expected = h + block.conv_sc.forward(torch.nn.functional.interpolate(x, scale_factor: [2.0, 2.0]));
        ModelAssert.Close(expected, block.forward(x, y), 1e-5, "GBlock");
    }

    [TestMethod]
    public void DBlockMatchesReferenceOrders()
    {
        using var rng = new Rng(9);
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 3, 4, 4], generator: rng);
        using var _ = no_grad();
        // First block: no pre-activation, pool then shortcut conv.
        using (var first = new DBlock(3, 5, wide: true, preactivation: false, downsample: true, Sn, rng))
        {
            first.eval();
            var h = torch.nn.functional.avg_pool2d(first.conv2.forward(first.conv1.forward(x).relu()), 2);
            var expected = h + first.conv_sc!.forward(torch.nn.functional.avg_pool2d(x, 2));
            ModelAssert.Close(expected, first.forward(x), 1e-5, "first DBlock");
            Assert.AreEqual(5L, first.conv1.OutChannels, "wide: hidden = out");
        }
        // Later blocks: pre-activated, shortcut conv then pool; thin hidden = in.
        using (var later = new DBlock(3, 5, wide: false, preactivation: true, downsample: true, Sn, rng))
        {
            later.eval();
            var h = torch.nn.functional.avg_pool2d(later.conv2.forward(later.conv1.forward(x.relu()).relu()), 2);
            var expected = h + torch.nn.functional.avg_pool2d(later.conv_sc!.forward(x), 2);
            ModelAssert.Close(expected, later.forward(x), 1e-5, "pre-activated DBlock");
            Assert.AreEqual(3L, later.conv1.OutChannels, "thin: hidden = in");
        }
        // Same width, no downsampling: identity shortcut.
        using (var plain = new DBlock(3, 3, true, true, false, Sn, rng))
        {
            plain.eval();
            Assert.IsNull(plain.conv_sc);
            var expected = plain.conv2.forward(plain.conv1.forward(x.relu()).relu()) + x;
            ModelAssert.Close(expected, plain.forward(x), 1e-5, "identity-shortcut DBlock");
            Assert.IsTrue(x.min().item<float>() < 0, "the input itself is not rectified in place");
        }
    }

    [TestMethod]
    public void DBlockGradcheck()
    {
        using var rng = new Rng(10);
        using var block = new DBlock(2, 3, true, true, true, Sn, rng);
        block.to(float64);
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 2, 4, 4], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(block, () => block.forward(x));
        GradCheck.Run(a => block.forward(a[0]), [x, block.conv_sc!.weight], atol: 1e-5, rtol: 1e-3);
    }

    [TestMethod]
    public void StandingStatisticsAccumulateACumulativeAverage()
    {
        using var rng = new Rng(11);
        var config = ModelConfig.Cifar(numClasses: 2, ch: 1);
        using var g = new BigGan.Training.Model.Generator(config, rng);
        Assert.AreEqual(7, g.BatchNormLayers().Count(), "two cBNs per block and the output BN");
        using var scope = NewDisposeScope();
        using (no_grad()) g.forward(torch.randn([4, 128], generator: rng), torch.tensor(new long[] { 0, 1, 0, 1 }));
        g.ResetBatchNormStatistics();
        var bn = g.output_bn;
        Assert.AreEqual(0.0, bn.stored_mean.abs().max().ToDouble());
        Assert.AreEqual(1.0, bn.stored_var.mean().ToDouble(), 1e-7);
        // Three passes with momentum 1/(i+1): the stored mean is the average of the three batch means.
        var batches = Enumerable.Range(0, 3).Select(_ => torch.randn([4, 4, 5, 5], generator: rng)).ToList();
        for (int i = 0; i < 3; i++)
        {
            bn.Momentum = 1.0 / (i + 1);
            bn.forward(batches[i]);
        }
        var expected = torch.stack(batches.Select(b => b.mean([0, 2, 3])).ToList()).mean([0]);
        ModelAssert.Close(expected, bn.stored_mean, 1e-6, "cumulative mean");
        g.SetBatchNormMomentum(0.1);
        Assert.IsTrue(g.BatchNormLayers().All(l => l.Layer.Momentum == 0.1));
    }
}
