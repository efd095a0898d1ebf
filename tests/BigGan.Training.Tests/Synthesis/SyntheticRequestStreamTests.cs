using BigGan.Training.Synthesis;

namespace BigGan.Training.Tests.Synthesis;

[TestClass]
public sealed class SyntheticRequestStreamTests
{
    [TestMethod]
    public void Rows_ArePureFunctionsOfRowId()
    {
        var a = new SyntheticRequestStream(10, baseSeed: 42);
        var b = new SyntheticRequestStream(10, baseSeed: 42);
        var filled = new SyntheticRequest[50];
        a.Fill(100, filled);
        for (int i = 49; i >= 0; i--) // reverse order: no hidden state
            Assert.AreEqual(b[100 + i], filled[i]);
        Assert.AreEqual(SplitMix64.At(42, 7), a[7].Seed);
        Assert.AreEqual(7L, a[7].RowId);
        Assert.AreNotEqual(a[7].Seed, new SyntheticRequestStream(10, baseSeed: 43)[7].Seed);
    }

    [TestMethod]
    public void RoundRobin_CyclesAllClassesOrTheGivenOnes()
    {
        var all = new SyntheticRequestStream(4, 1);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 0, 1 }, Enumerable.Range(0, 6).Select(i => all[i].ClassIndex).ToArray());
        var some = new SyntheticRequestStream(4, 1, ClassSchedule.RoundRobin(3, 1));
        CollectionAssert.AreEqual(new[] { 3, 1, 3, 1 }, Enumerable.Range(0, 4).Select(i => some[i].ClassIndex).ToArray());
    }

    [TestMethod]
    public void Fixed_GivesOneClass()
    {
        var s = new SyntheticRequestStream(5, 9, ClassSchedule.Fixed(4));
        Assert.IsTrue(Enumerable.Range(0, 20).All(i => s[i].ClassIndex == 4));
    }

    [TestMethod]
    public void Weighted_FollowsTheWeightsAndNeverPicksZeroWeight()
    {
        var s = new SyntheticRequestStream(4, 123, ClassSchedule.Weighted(0.5, 0.3, 0.2, 0.0));
        var counts = new int[4];
        const int n = 20000;
        for (int i = 0; i < n; i++) counts[s[i].ClassIndex]++;
        Assert.AreEqual(0, counts[3]);
        // Binomial standard deviations are below 0.0036 here; 0.02 is over 5 sigma.
        Assert.AreEqual(0.5, counts[0] / (double)n, 0.02);
        Assert.AreEqual(0.3, counts[1] / (double)n, 0.02);
        Assert.AreEqual(0.2, counts[2] / (double)n, 0.02);
        // Same row, same class, whatever order the rows are asked in.
        Assert.AreEqual(s[777].ClassIndex, new SyntheticRequestStream(4, 123, ClassSchedule.Weighted(0.5, 0.3, 0.2, 0.0))[777].ClassIndex);
    }

    [TestMethod]
    public void Weighted_RejectsBadWeights()
    {
        var negative = Assert.ThrowsExactly<ArgumentException>(() => ClassSchedule.Weighted(0.5, -0.1, 0.6));
        StringAssert.Contains(negative.Message, "Class weight 1 is -0.1");
        var sum = Assert.ThrowsExactly<ArgumentException>(() => ClassSchedule.Weighted(0.5, 0.4));
        StringAssert.Contains(sum.Message, "sum to 0.9");
        StringAssert.Contains(sum.Message, "expected 1");
        Assert.ThrowsExactly<ArgumentException>(() => ClassSchedule.Weighted(double.NaN, 1));
        Assert.ThrowsExactly<ArgumentException>(() => ClassSchedule.Weighted());
        var count = Assert.ThrowsExactly<ArgumentException>(() => new SyntheticRequestStream(3, 0, ClassSchedule.Weighted(0.5, 0.5)));
        StringAssert.Contains(count.Message, "2 class weights given");
        StringAssert.Contains(count.Message, "3 classes");
    }

    [TestMethod]
    public void Schedules_RejectClassesOutOfRange()
    {
        var fixedError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticRequestStream(3, 0, ClassSchedule.Fixed(3)));
        StringAssert.Contains(fixedError.Message, "0..2");
        var rr = Assert.ThrowsExactly<ArgumentException>(() => new SyntheticRequestStream(3, 0, ClassSchedule.RoundRobin(0, -1)));
        StringAssert.Contains(rr.Message, "class -1 is out of range");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticRequestStream(0, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticRequestStream(3, 0)[-1]);
    }
}
