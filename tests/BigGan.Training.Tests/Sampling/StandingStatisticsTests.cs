using BigGan.Training.Model;
using BigGan.Training.Sampling;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Sampling;

[TestClass]
public sealed class StandingStatisticsTests
{
    [TestInitialize]
    public void Init() => set_num_threads(1);

    private static (Tensor z, Tensor y) Batch(ModelConfig c, ulong seed, int n = 6)
    {
        using var rng = new torch.Generator((ulong)seed);
        return (randn([n, c.DimZ], generator: rng).DetachFromDisposeScope(), randint(0, c.NumClasses, [n], generator: rng).DetachFromDisposeScope());
    }

    private static Dictionary<string, Tensor> Buffers(nn.Module g) =>
        g.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());

    // With a single batch, standing statistics are that batch's mean and biased variance, so the eval-mode forward
    // equals the batch-statistics forward on the same batch.
    [TestMethod]
    public void OneBatchGivesThatBatchsStatistics()
    {
        foreach (var config in new[] { SamplingFixtures.Attention32, SamplingFixtures.Tables64 })
        {
            using var g = Warmed(config, 21);
            using var scope = NewDisposeScope();
            var (z, y) = Batch(config, 1);
            var u = g.SpectralNormLayers().Select(l => l.Layer.U[0].clone()).ToList();
            StandingStatistics.Accumulate(g, [(z, y)]);
            Assert.IsFalse(g.training, "the mode is restored");
            for (int i = 0; i < u.Count; i++) Assert.AreEqual(0f, MaxAbsDiff(u[i], g.SpectralNormLayers().ElementAt(i).Layer.U[0]), "spectral-norm u vectors stay as they were");

            Tensor standing;
            using (no_grad()) standing = g.forward(z, y);
            g.train();
            foreach (var (_, layer) in g.SpectralNormLayers()) layer.train(false);
            Tensor batchStats;
            using (no_grad()) batchStats = g.forward(z, y);
            g.eval();
            Assert.IsTrue(MaxAbsDiff(standing, batchStats) <= 2e-5f, $"{config.Resolution}: {MaxAbsDiff(standing, batchStats)}");
        }
    }

    [TestMethod]
    public void StatisticsAreThePlainAverageOverBatches()
    {
        var config = SamplingFixtures.Small32;
        using var g = Warmed(config, 22);
        using var scope = NewDisposeScope();
        var b1 = Batch(config, 2);
        var b2 = Batch(config, 3, 4);
        StandingStatistics.Accumulate(g, [b1]);
        var s1 = Buffers(g);
        StandingStatistics.Accumulate(g, [b2]);
        var s2 = Buffers(g);
        StandingStatistics.Accumulate(g, [b1, b2]);
        var both = Buffers(g);
        foreach (var (name, value) in both)
        {
            if (!name.EndsWith("stored_mean") && !name.EndsWith("stored_var"))
            {
                Assert.AreEqual(0f, MaxAbsDiff(s1[name], value), $"{name} must not change");
                continue;
            }
            var average = s1[name].add(s2[name]).div_(2);
            Assert.IsTrue(MaxAbsDiff(average, value) <= 1e-5f * (1 + average.abs().max().item<float>()), name);
        }
        Assert.IsTrue(MaxAbsDiff(s1["output_layer.0.stored_var"], s2["output_layer.0.stored_var"]) > 1e-6f, "different batches, different statistics");
    }

    [TestMethod]
    public void SamplerSwitchesBetweenStandingAndRunningStatistics()
    {
        using var g = Warmed(SamplingFixtures.Small32, 23);
        var running = Buffers(g);
        var options = new StandingStatisticsOptions { Accumulations = 3, BatchSize = 8, Seed = 4 };
        using (var sampler = new BigGanSampler(g))
        {
            using var before = sampler.Sample([0, 1], 2, 1.0, 1);
            sampler.UseStandingStatistics(options, truncation: 1.0);
            Assert.AreEqual(BatchNormStatistics.Standing, sampler.Statistics);
            var standing = Buffers(g);
            Assert.IsTrue(MaxAbsDiff(standing["blocks.0.0.bn1.stored_mean"], running["blocks.0.0.bn1.stored_mean"]) > 1e-4f);
            using var withStanding = sampler.Sample([0, 1], 2, 1.0, 1);
            Assert.IsTrue(MaxAbsDiff(before, withStanding) > 1e-4f);

            // recomputing starts from the running statistics and is deterministic
            sampler.UseStandingStatistics(options, truncation: 1.0);
            foreach (var (name, t) in Buffers(g)) Assert.AreEqual(0f, MaxAbsDiff(standing[name], t), name);

            sampler.UseRunningStatistics();
            foreach (var (name, t) in Buffers(g)) Assert.AreEqual(0f, MaxAbsDiff(running[name], t), name);
            using var after = sampler.Sample([0, 1], 2, 1.0, 1);
            Assert.AreEqual(0f, MaxAbsDiff(before, after));

            sampler.UseStandingStatistics(options);
        }
        // a borrowed generator gets its running statistics back when the sampler is disposed
        foreach (var (name, t) in Buffers(g)) Assert.AreEqual(0f, MaxAbsDiff(running[name], t), name);
    }

    [TestMethod]
    public void OptionsAreValidated()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new StandingStatisticsOptions { Accumulations = 0 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new StandingStatisticsOptions { BatchSize = 1 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new StandingStatisticsOptions { Truncation = 0.0 }.Validate());
        using var g = Warmed(SamplingFixtures.Small32, 24);
        using var scope = NewDisposeScope();
        var (z, y) = Batch(SamplingFixtures.Small32, 5, 1);
        Assert.ThrowsExactly<ArgumentException>(() => StandingStatistics.Accumulate(g, [(z, y)]));
        Assert.ThrowsExactly<ArgumentException>(() => StandingStatistics.Accumulate(g, Array.Empty<(Tensor, Tensor)>()));
    }
}
