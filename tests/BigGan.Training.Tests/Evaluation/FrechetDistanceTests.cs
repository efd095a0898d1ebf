using BigGan.Training.Evaluation;
using BigGan.Training.Tests.Support;

namespace BigGan.Training.Tests.Evaluation;

[TestClass]
public sealed class FrechetDistanceTests
{
    private static GaussianStatistics Diagonal(double[] mean, double[] variances)
    {
        int n = mean.Length;
        var cov = new double[n * n];
        for (int i = 0; i < n; i++) cov[i * n + i] = variances[i];
        return new GaussianStatistics(mean, cov, 100);
    }

    [TestMethod]
    public void DiagonalGaussiansMatchTheClosedForm()
    {
        double[] m1 = [0, 1, -2, 0.5], v1 = [1, 4, 0.25, 0];
        double[] m2 = [1, 1, 0, 0.5], v2 = [9, 1, 0.25, 2];
        double expected = 0;
        for (int i = 0; i < 4; i++) expected += Math.Pow(m1[i] - m2[i], 2) + v1[i] + v2[i] - 2 * Math.Sqrt(v1[i] * v2[i]);
        Assert.AreEqual(expected, FrechetDistance.Compute(Diagonal(m1, v1), Diagonal(m2, v2)), 1e-12);

        // Rotating both Gaussians by the same orthogonal matrix leaves the distance unchanged.
        using var scope = NewDisposeScope();
        var (_, q) = torch.linalg.eigh(tensor(SymmetricRandom(4, 3), [4, 4]));
        var rows = q.t().contiguous().ToArray<double>();
        Assert.AreEqual(expected, FrechetDistance.Compute(Rotate(Diagonal(m1, v1), rows), Rotate(Diagonal(m2, v2), rows)), 1e-11);
    }

    [TestMethod]
    public void IdenticalSetsGiveZeroAndRankDeficientOnesStayFinite()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var full = randn([300, 16], float64, generator: g).matmul(randn([16, 16], float64, generator: g));
        Assert.AreEqual(0, FrechetDistance.Compute(full, full.clone()), 1e-9);

        // 10 samples of 32-d features: the covariances have rank 9 at most; with a constant (zero-variance) column too.
        var a = randn([10, 32], generator: g);
        a = cat([a.narrow(1, 0, 31), zeros(10, 1).add(3)], 1);
        var b = randn([10, 32], generator: g);
        var d = FrechetDistance.Compute(a, b);
        Assert.IsTrue(double.IsFinite(d) && d > 0, $"rank-deficient FID = {d}");
        Assert.AreEqual(0, FrechetDistance.Compute(a, a), 1e-9);
        Assert.AreEqual(d, FrechetDistance.Compute(b, a), 1e-9 * d);

        // A shift of every feature by c adds F·c² (only the mean term changes).
        var shifted = FrechetDistance.Compute(full, full + 0.5);
        Assert.AreEqual(16 * 0.25, shifted, 1e-9);
    }

    [TestMethod]
    public void MatchesNumpyOnCorrelatedFeatures()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        const int f = 24;
        var a = randn([200, f], float64, generator: g).matmul(randn([f, f], float64, generator: g));
        var b = randn([150, f], float64, generator: g).matmul(randn([f, f], float64, generator: g)).add(0.3);
        // numpy route: tr sqrt(Σ₁Σ₂) from the (real, non-negative) eigenvalues of the non-symmetric product
        var expected = PythonReference.Run("""
            m1, m2 = a.mean(0), b.mean(0)
            s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
            ev = np.linalg.eigvals(s1 @ s2)
            print(repr(float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev.real, 0, None)).sum())))
            """, ("a", a.ToArray<double>(), a.shape), ("b", b.ToArray<double>(), b.shape))[0];
        var actual = FrechetDistance.Compute(a, b);
        Assert.AreEqual(expected, actual, 1e-9 * expected, $"numpy {expected} vs C# {actual}");
    }

    [TestMethod]
    public void AccumulatorMatchesOneShotStatisticsAndRoundTripsThroughAFile()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = randn([250, 8], generator: g).add(100); // a large common offset
        var once = GaussianStatistics.FromFeatures(x);
        using var acc = new GaussianStatisticsAccumulator();
        foreach (var part in x.split(64)) acc.Add(part);
        var streamed = acc.ToStatistics();
        Assert.AreEqual(250, streamed.Count);
        for (int i = 0; i < once.Mean.Length; i++) Assert.AreEqual(once.Mean[i], streamed.Mean[i], 1e-9);
        for (int i = 0; i < once.Covariance.Length; i++) Assert.AreEqual(once.Covariance[i], streamed.Covariance[i], 1e-9);

        var dir = Directory.CreateTempSubdirectory("biggan-stats-");
        try
        {
            var path = Path.Combine(dir.FullName, "real.safetensors");
            once.Save(path, new Dictionary<string, string> { ["feature_network"] = "test" });
            var back = GaussianStatistics.Load(path);
            CollectionAssert.AreEqual(once.Mean, back.Mean);
            CollectionAssert.AreEqual(once.Covariance, back.Covariance);
            Assert.AreEqual(once.Count, back.Count);
            Assert.AreEqual(0, FrechetDistance.Compute(once, back), 1e-9);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void RejectsMismatchedOrBrokenInput()
    {
        Assert.ThrowsExactly<ArgumentException>(() => FrechetDistance.Compute(Diagonal([0, 0], [1, 1]), Diagonal([0], [1])));
        Assert.ThrowsExactly<ArgumentException>(() => Diagonal([0, double.NaN], [1, 1]));
        using var one = ones(1, 4);
        Assert.ThrowsExactly<ArgumentException>(() => GaussianStatistics.FromFeatures(one));
        using var flat = ones(8);
        Assert.ThrowsExactly<ArgumentException>(() => GaussianStatistics.FromFeatures(flat));
    }

    private static double[] SymmetricRandom(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.NextDouble();
        return a;
    }

    // (Q μ, Q Σ Qᵀ) with Q's rows from q
    private static GaussianStatistics Rotate(GaussianStatistics s, double[] q)
    {
        int n = s.Dimension;
        var mean = new double[n];
        var cov = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) mean[i] += q[i * n + k] * s.Mean[k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = 0;
                for (int k = 0; k < n; k++)
                    for (int l = 0; l < n; l++) v += q[i * n + k] * s.Covariance[k * n + l] * q[j * n + l];
                cov[i * n + j] = v;
            }
        return new GaussianStatistics(mean, cov, s.Count);
    }
}
