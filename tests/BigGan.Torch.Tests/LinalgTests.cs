namespace BigGan.Torch.Tests;

[TestClass]
public sealed class LinalgTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(5)]
    [DataRow(64)]
    public void EighReconstructsSymmetricMatrices(int n)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)n);
        var b = randn([n, n], float64, generator: g);
        var a = b + b.t();
        var (l, q) = linalg.eigh(a);
        var values = l.data<double>();
        for (int i = 1; i < n; i++) Assert.IsTrue(values[i - 1] <= values[i], "ascending");
        var recon = q.mul(l).mm(q.t());
        Assert.IsTrue((recon - a).abs().max().ToDouble() < 1e-12 * Math.Max(1, a.abs().max().ToDouble() * n));
        Assert.IsTrue((q.t().mm(q) - eye(n, dtype: float64)).abs().max().ToDouble() < 1e-12 * n);
        var onlyValues = linalg.eigvalsh(a).data<double>();
        for (int i = 0; i < n; i++) Assert.AreEqual(values[i], onlyValues[i], 1e-12 * Math.Max(1, Math.Abs(values[i])));
    }

    [TestMethod]
    public void EighHandlesSingularMatricesAndReadsTheLowerTriangle()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var x = randn([3, 10], float64, generator: g);
        var values = linalg.eigvalsh(x.t().mm(x)).data<double>(); // rank 3
        Assert.IsTrue(values.Take(7).All(v => Math.Abs(v) < 1e-12 * values[9]));
        Assert.IsTrue(values.Skip(7).All(v => v > 0));
        var lower = tensor(new double[] { 2, 99, 1, 2 }, [2, 2]); // the 99 above the diagonal is ignored
        CollectionAssert.AreEqual(new double[] { 1, 3 }, linalg.eigvalsh(lower).data<double>().Select(v => Math.Round(v, 12)).ToArray());
    }

    [TestMethod]
    public void EighRejectsBadInputWithClearErrors()
    {
        using var scope = NewDisposeScope();
        var e = Assert.ThrowsExactly<ArgumentException>(() => linalg.eigh(zeros(2, 3)));
        StringAssert.Contains(e.Message, "square");
        e = Assert.ThrowsExactly<ArgumentException>(() => linalg.eigvalsh(tensor(new double[] { 1, double.NaN, double.NaN, 1 }, [2, 2])));
        StringAssert.Contains(e.Message, "NaN");
        Assert.ThrowsExactly<ArgumentException>(() => linalg.eigh(zeros([2, 2], int64)));
    }
}
