using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>Reductions over all, one or several dimensions, with and without keepdim, against a plain C# reducer.</summary>
[TestClass]
public sealed class ReductionTests
{
    private static readonly long[] Shape = [2, 3, 4];

    // Irregular values so that every reduction (and var with every correction) gives distinct results.
    private static readonly double[] Data = Enumerable.Range(0, 24).Select(i => Math.Round(Math.Sin(i * 1.7) * 5 + i * 0.25, 3)).ToArray();

    private static Tensor X() => D(Data, Shape);

    /// <summary>Reduces Data over dims with f; the result is row-major over the kept dimensions.</summary>
    private static double[] Ref(int[] dims, Func<double[], double> f)
    {
        var keep = Enumerable.Range(0, Shape.Length).Where(d => !dims.Contains(d)).ToArray();
        var groups = new SortedDictionary<long, List<double>>();
        for (int i = 0; i < Data.Length; i++)
        {
            var idx = new long[3] { i / 12, i / 4 % 3, i % 4 };
            long key = 0;
            foreach (var d in keep) key = key * Shape[d] + idx[d];
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<double>();
            list.Add(Data[i]);
        }
        return groups.Values.Select(g => f(g.ToArray())).ToArray();
    }

    private static long[] KeptShape(int[] dims, bool keepdim) =>
        Enumerable.Range(0, 3).Where(d => keepdim || !dims.Contains(d)).Select(d => dims.Contains(d) ? 1L : Shape[d]).ToArray();

    private static double Var(double[] v, int correction)
    {
        var m = v.Average();
        return v.Sum(x => (x - m) * (x - m)) / (v.Length - correction);
    }

    private static readonly int[][] DimSets = [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];

    [TestMethod]
    public void SumAndMeanOverDimsWithAndWithoutKeepdim()
    {
        using var scope = NewDisposeScope();
        var x = X();
        Close([Data.Sum()], [], x.sum(), 1e-12);
        Close([Data.Average()], [], x.mean(), 1e-12);
        foreach (var dims in DimSets)
            foreach (var keep in new[] { false, true })
            {
                var ld = dims.Select(d => (long)d).ToArray();
                Close(Ref(dims, v => v.Sum()), KeptShape(dims, keep), x.sum(ld, keep), 1e-12, $"sum {string.Join(",", dims)} keep={keep}");
                Close(Ref(dims, v => v.Average()), KeptShape(dims, keep), x.mean(ld, keep), 1e-12, $"mean {string.Join(",", dims)} keep={keep}");
            }
        // negative dims count from the end
        Close(Ref([2], v => v.Sum()), [2, 3], x.sum(-1), 1e-12);
        Close(Ref([1], v => v.Average()), [2, 1, 4], x.mean(-2, keepdim: true), 1e-12);
    }

    [TestMethod]
    public void VarAndStdHonourCorrectionDimsAndKeepdim()
    {
        using var scope = NewDisposeScope();
        var x = X();
        Close([Var(Data, 1)], [], x.var(), 1e-12, "unbiased by default");
        Close([Var(Data, 0)], [], x.var(correction: 0), 1e-12);
        Close([Math.Sqrt(Var(Data, 1))], [], x.std(), 1e-12);
        foreach (var dims in DimSets)
            foreach (var corr in new[] { 0, 1, 2 })
                foreach (var keep in new[] { false, true })
                {
                    var ld = dims.Select(d => (long)d).ToArray();
                    var what = $"var {string.Join(",", dims)} corr={corr} keep={keep}";
                    if (dims.Select(d => Shape[d]).Aggregate(1L, (a, b) => a * b) <= corr) continue;
                    Close(Ref(dims, v => Var(v, corr)), KeptShape(dims, keep), x.var(ld, corr, keep), 1e-12, what);
                    Close(Ref(dims, v => Math.Sqrt(Var(v, corr))), KeptShape(dims, keep), x.std(ld, corr, keep), 1e-12, "std " + what);
                }
        Close(Ref([2], v => Var(v, 1)), [2, 3], x.var(2), 1e-12);
        Close(Ref([0], v => Var(v, 0)), [1, 3, 4], x.var(0, correction: 0, keepdim: true), 1e-12);
    }

    [TestMethod]
    public void NormOverAllOrSomeDims()
    {
        using var scope = NewDisposeScope();
        var x = X();
        double L2(double[] v) => Math.Sqrt(v.Sum(a => a * a));
        double L1(double[] v) => v.Sum(Math.Abs);
        Close([L2(Data)], [], x.norm(), 1e-12);
        Close([L1(Data)], [], x.norm(1), 1e-12);
        Close([L2(Data)], [1, 1, 1], x.norm(2, null, keepdim: true), 1e-12);
        foreach (var dims in DimSets)
            foreach (var keep in new[] { false, true })
            {
                var ld = dims.Select(d => (long)d).ToArray();
                Close(Ref(dims, L2), KeptShape(dims, keep), x.norm(2, ld, keep), 1e-12, $"L2 {string.Join(",", dims)} keep={keep}");
                Close(Ref(dims, L1), KeptShape(dims, keep), x.norm(1, ld, keep), 1e-12, $"L1 {string.Join(",", dims)} keep={keep}");
            }
    }

    [TestMethod]
    public void MaxMinAmaxAminArgmax()
    {
        using var scope = NewDisposeScope();
        var x = X();
        Close([Data.Max()], [], x.max());
        Close([Data.Min()], [], x.min());
        foreach (var dims in DimSets)
            foreach (var keep in new[] { false, true })
            {
                var ld = dims.Select(d => (long)d).ToArray();
                Close(Ref(dims, v => v.Max()), KeptShape(dims, keep), x.amax(ld, keep), 0, $"amax {string.Join(",", dims)}");
                Close(Ref(dims, v => v.Min()), KeptShape(dims, keep), x.amin(ld, keep), 0, $"amin {string.Join(",", dims)}");
            }
        for (int d = 0; d < 3; d++)
            foreach (var keep in new[] { false, true })
            {
                var (values, indices) = x.max(d, keep);
                Close(Ref([d], v => v.Max()), KeptShape([d], keep), values, 0, $"max({d}) values");
                Assert.AreEqual(int64, indices.dtype);
                Close(Ref([d], v => Array.IndexOf(v, v.Max())), KeptShape([d], keep), indices, 0, $"max({d}) indices");
                var (mv, mi) = x.min(d, keep);
                Close(Ref([d], v => v.Min()), KeptShape([d], keep), mv, 0, $"min({d}) values");
                Close(Ref([d], v => Array.IndexOf(v, v.Min())), KeptShape([d], keep), mi, 0, $"min({d}) indices");
                Close(Ref([d], v => Array.IndexOf(v, v.Max())), KeptShape([d], keep), x.argmax(d, keep), 0, $"argmax({d})");
                Close(Ref([d], v => Array.IndexOf(v, v.Min())), KeptShape([d], keep), x.argmin(d, keep), 0, $"argmin({d})");
            }
        Assert.AreEqual(Array.IndexOf(Data, Data.Max()), x.argmax().item<long>(), "argmax over the flattened tensor");
        Assert.AreEqual(Array.IndexOf(Data, Data.Min()), x.argmin().item<long>());
        Shape([1, 1, 1], x.argmax(null, keepdim: true));
    }

    [TestMethod]
    public void ProdLogsumexpAnyAll()
    {
        using var scope = NewDisposeScope();
        var small = D([1.5, -2, 3, 0.5], 2, 2);
        Close([-4.5], [], small.prod(), 1e-12);
        var x = X();
        for (int d = 0; d < 3; d++)
        {
            double Lse(double[] v) { var m = v.Max(); return m + Math.Log(v.Sum(a => Math.Exp(a - m))); }
            Close(Ref([d], Lse), KeptShape([d], false), x.logsumexp(d), 1e-12, $"logsumexp({d})");
            Close(Ref([d], Lse), KeptShape([d], true), x.logsumexp(d, keepdim: true), 1e-12);
        }
        var b = tensor(new[] { false, true, false });
        Assert.IsTrue(b.any().item<bool>());
        Assert.IsFalse(b.all().item<bool>());
        Assert.IsTrue(b.logical_not().logical_or(b).all().item<bool>());
    }

    [TestMethod]
    public void IntegerSumsStayExact()
    {
        using var scope = NewDisposeScope();
        var big = full([3], 3_000_000_000.0, int64);
        Assert.AreEqual(int64, big.sum().dtype);
        Assert.AreEqual(9_000_000_000L, big.sum().item<long>());
        Close([1.5], [], L([1, 2]).to(float32).mean());
    }
}
