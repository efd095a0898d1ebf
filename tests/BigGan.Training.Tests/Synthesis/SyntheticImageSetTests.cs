using BigGan.Training.Synthesis;

namespace BigGan.Training.Tests.Synthesis;

[TestClass]
public sealed class SyntheticImageSetTests
{
    [TestMethod]
    public void Enumerate_MatchesRandomAccessRendering()
    {
        var g = new PatternImageGenerator(numClasses: 4, channels: 1, resolution: 5, dimZ: 3);
        var set = new SyntheticImageSet(g, 13, new SyntheticSetOptions { BaseSeed = 7, BatchSize = 5, Classes = ClassSchedule.Weighted(0.25, 0.25, 0.25, 0.25) });
        var rows = set.Enumerate().ToList();
        Assert.AreEqual(13, rows.Count);
        long[] ids = [12, 0, 6];
        var pixels = new float[ids.Length * 25];
        set.Render(ids, pixels);
        for (int i = 0; i < ids.Length; i++)
        {
            var row = rows[(int)ids[i]];
            Assert.AreEqual(set.Request(ids[i]), row.Request);
            CollectionAssert.AreEqual(pixels.AsSpan(i * 25, 25).ToArray(), row.Pixels);
            CollectionAssert.AreEqual(set.Renderer.Render(row.Request.Seed, row.Request.ClassIndex), row.Pixels);
        }
        Assert.AreEqual(3, set.Enumerate(10).Count());
        Assert.AreEqual(4, set.ClassNames.Count);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set.Request(13));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticImageSet(g, -1));
    }

    [TestMethod]
    public void PatternGenerator_LatentsAreStandardNormalLike()
    {
        var g = new PatternImageGenerator(dimZ: 1000);
        var z = new float[1000];
        g.SampleLatents([3UL], float.PositiveInfinity, z);
        double mean = z.Average(), variance = z.Select(v => (v - mean) * (v - mean)).Average();
        Assert.AreEqual(0.0, mean, 0.15);
        Assert.AreEqual(1.0, variance, 0.2);
    }
}
