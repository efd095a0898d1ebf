using BigGan.Training.Sampling;

namespace BigGan.Training.Tests.Sampling;

[TestClass]
public sealed class LatentSamplerTests
{
    [TestMethod]
    public void RowsDependOnlyOnSeedAndRowIndex()
    {
        var all = LatentSampler.Rows(42, 0, 10, 7, Truncation.None);
        var middle = LatentSampler.Rows(42, 3, 4, 7, Truncation.None);
        CollectionAssert.AreEqual(all.AsSpan(3 * 7, 4 * 7).ToArray(), middle);
        var one = new float[7];
        LatentSampler.Draw(LatentSampler.RowSeed(42, 5), Truncation.None, one);
        CollectionAssert.AreEqual(all.AsSpan(5 * 7, 7).ToArray(), one);
        var other = LatentSampler.Rows(43, 0, 10, 7, Truncation.None);
        Assert.IsFalse(all.SequenceEqual(other), "another seed gives other latents");
    }

    [TestMethod]
    [DataRow(0.05)]
    [DataRow(0.5)]
    [DataRow(1.0)]
    [DataRow(2.5)]
    public void PaperTruncationKeepsEveryComponentWithinT(double t)
    {
        var z = LatentSampler.Rows(1, 0, 500, 64, t);
        var bound = (float)t;
        Assert.IsTrue(z.All(v => Math.Abs(v) <= bound), $"some |z| exceeds {t}: max {z.Max(Math.Abs)}");
        Assert.IsTrue(z.Max(Math.Abs) > 0.9 * t, "the values should fill the interval");
    }

    [TestMethod]
    [DataRow(0.1)]
    [DataRow(0.7)]
    [DataRow(1.5)]
    public void TFHubTruncationKeepsEveryComponentWithinTwoT(double t)
    {
        var z = LatentSampler.Rows(2, 0, 500, 64, Truncation.TFHub(t));
        Assert.IsTrue(z.All(v => Math.Abs(v) <= (float)(2 * t)), $"some |z| exceeds 2t = {2 * t}: max {z.Max(Math.Abs)}");
        Assert.IsTrue(z.Max(Math.Abs) > 1.8 * t, "the values should reach close to ±2t");
    }

    // Variance of a standard normal truncated to [-t, t]: 1 - 2 t φ(t) / (2 Φ(t) - 1). Both samplers (resampling for
    // t >= 1, uniform proposal below) must give it.
    [TestMethod]
    [DataRow(0.5, 0.080589)]
    [DataRow(1.0, 0.291125)]
    [DataRow(2.0, 0.773741)]
    [DataRow(double.PositiveInfinity, 1.0)]
    public void TruncatedNormalHasTheRightMeanAndVariance(double t, double variance)
    {
        var z = LatentSampler.Rows(3, 0, 2000, 100, t);
        double mean = z.Average(v => (double)v);
        double var = z.Average(v => (double)v * v) - mean * mean;
        Assert.AreEqual(0, mean, 0.01);
        Assert.AreEqual(variance, var, 0.02 * variance);
    }

    [TestMethod]
    public void BadTruncationIsRejected()
    {
        foreach (var t in new[] { 0.0, -1.0, double.NaN, double.NegativeInfinity })
            Assert.ThrowsExactly<ArgumentException>(() => LatentSampler.Rows(0, 0, 1, 4, t), $"t = {t}");
        var e = Assert.ThrowsExactly<ArgumentException>(() => LatentSampler.Rows(0, 0, 1, 4, Truncation.TFHub(double.PositiveInfinity)));
        StringAssert.Contains(e.Message, "finite");
    }

    [TestMethod]
    public void TruncationParses()
    {
        Assert.AreEqual(Truncation.Paper(0.5), Truncation.Parse("0.5"));
        Assert.AreEqual(Truncation.None, Truncation.Parse("none"));
        Assert.AreEqual(Truncation.TFHub(0.4), Truncation.Parse("tfhub:0.4"));
        Assert.AreEqual(Truncation.TFHub(0.4), Truncation.Parse("hf:0.4"));
        Assert.AreEqual(0.8, Truncation.TFHub(0.4).Bound, 1e-12);
        Assert.ThrowsExactly<ArgumentException>(() => Truncation.Parse("abc"));
        Assert.ThrowsExactly<ArgumentException>(() => Truncation.Parse("-2"));
    }
}
