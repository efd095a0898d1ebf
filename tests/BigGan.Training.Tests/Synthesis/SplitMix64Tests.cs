using BigGan.Training.Synthesis;

namespace BigGan.Training.Tests.Synthesis;

[TestClass]
public sealed class SplitMix64Tests
{
    [TestMethod]
    public void At_MatchesTheReferenceStream()
    {
        // First outputs of the reference splitmix64.c seeded with 0.
        Assert.AreEqual(0xE220A8397B1DCDAFUL, SplitMix64.At(0, 0));
        Assert.AreEqual(0x6E789E6AA1B965F4UL, SplitMix64.At(0, 1));
        Assert.AreEqual(0x06C45D188009454FUL, SplitMix64.At(0, 2));
    }

    [TestMethod]
    public void ToUnitInterval_StaysInHalfOpenUnitInterval()
    {
        Assert.AreEqual(0.0, SplitMix64.ToUnitInterval(0));
        double top = SplitMix64.ToUnitInterval(ulong.MaxValue);
        Assert.IsTrue(top < 1.0 && top > 0.9999999999999998, $"top = {top:R}");
    }
}
