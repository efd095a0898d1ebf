using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class EmaTests
{
    private static Dictionary<string, double[]> Snapshot(torch.nn.Module m)
    {
        using var scope = NewDisposeScope();
        return m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float64).ToArray<double>());
    }

    private static void Perturb(TinyStack source, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new Generator(seed);
        foreach (var p in source.parameters()) p.add_(randn(p.shape, generator: g));
        // a training forward moves the float buffers and the integer counters
        source.train();
        source.forward(randn(new long[] { 5, 3 }, generator: g));
    }

    [TestMethod]
    public void ConstructionCopiesTheSourceAndCoversParametersAndBuffers()
    {
        using var source = new TinyStack(3, 4, 2, seed: 1);
        using var target = new TinyStack(3, 4, 2, seed: 99);
        var ema = new Ema(source, target, decay: 0.9, startStep: 10);
        CollectionAssert.AreEquivalent(new[] { "a.weight", "a.bias", "a.running", "b.weight", "b.bias", "b.running" }, ema.AveragedNames.ToArray());
        CollectionAssert.AreEquivalent(new[] { "a.count", "b.count" }, ema.CopiedNames.ToArray());
        var s = Snapshot(source);
        var t = Snapshot(target);
        foreach (var k in s.Keys) CollectionAssert.AreEqual(s[k], t[k], k);
    }

    [TestMethod]
    public void BeforeTheStartStepTheCopyEqualsTheSourceExactly()
    {
        using var source = new TinyStack(3, 4, 2, seed: 1);
        using var target = new TinyStack(3, 4, 2, seed: 99);
        var ema = new Ema(source, target, decay: 0.9999, startStep: 5);
        for (long step = 0; step < 5; step++)
        {
            Perturb(source, (ulong)step + 10);
            Assert.AreEqual(0.0, ema.Update(step));
            var s = Snapshot(source);
            var t = Snapshot(target);
            foreach (var k in s.Keys) CollectionAssert.AreEqual(s[k], t[k], $"step {step}, {k}");
        }
    }

    [TestMethod]
    public void FromTheStartStepItIsTheExactLerpOfParametersAndBuffers()
    {
        const double decay = 0.75;
        using var source = new TinyStack(3, 4, 2, seed: 1);
        using var target = new TinyStack(3, 4, 2, seed: 99);
        var ema = new Ema(source, target, decay, startStep: 3);
        Perturb(source, 5);
        ema.Update(2); // still a copy
        for (long step = 3; step < 6; step++)
        {
            var before = Snapshot(target);
            Perturb(source, (ulong)step + 20);
            var src = Snapshot(source);
            Assert.AreEqual(decay, ema.Update(step));
            var after = Snapshot(target);
            foreach (var k in src.Keys)
            {
                if (k.EndsWith("count", StringComparison.Ordinal))
                {
                    CollectionAssert.AreEqual(src[k], after[k], $"integer buffer {k} is copied");
                    continue;
                }
                for (int i = 0; i < src[k].Length; i++)
                {
                    var expected = decay * before[k][i] + (1 - decay) * src[k][i];
                    Assert.AreEqual(expected, after[k][i], 1e-6 * (1 + Math.Abs(expected)), $"step {step}, {k}[{i}]");
                }
                Assert.IsFalse(src[k].SequenceEqual(after[k]), $"{k} is averaged, not copied");
            }
        }
    }

    [TestMethod]
    public void MismatchedArchitecturesAreReportedByName()
    {
        using var source = new TinyStack(3, 4, 2, seed: 1);
        using var wider = new TinyStack(3, 5, 2, seed: 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Ema(source, wider));
        StringAssert.Contains(e.Message, "a.weight: source [4, 3], target [5, 3]");
        using var other = new TinyNet(3, 4, seed: 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => new Ema(source, other));
        StringAssert.Contains(e.Message, "missing in the target: a.weight");
        StringAssert.Contains(e.Message, "only in the target: weight");
    }

    [TestMethod]
    public void CopyNowFalseLeavesTheTargetAlone()
    {
        using var source = new TinyNet(3, 4, seed: 1);
        using var target = new TinyNet(3, 4, seed: 2);
        var before = Snapshot(target);
        _ = new Ema(source, target, copyNow: false);
        var after = Snapshot(target);
        foreach (var k in before.Keys) CollectionAssert.AreEqual(before[k], after[k], k);
    }

    [TestMethod]
    public void RejectsBadArguments()
    {
        using var source = new TinyNet(3, 4, seed: 1);
        using var target = new TinyNet(3, 4, seed: 2);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Ema(source, target, decay: 1.5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Ema(source, target, startStep: -1));
        Assert.ThrowsExactly<ArgumentException>(() => new Ema(source, source));
    }
}
