using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class CollapseDetectorTests
{
    private static Dictionary<string, double> Sv(double g0, double g1 = 1.0, double d0 = 1.0) =>
        new() { ["G.blocks.0.conv1"] = g0, ["G.blocks.0.conv2"] = g1, ["D.blocks.0.conv1"] = d0 };

    // A healthy run: balanced hinge losses around 1.5 with noise, σ drifting up slowly; sv logged every 5 steps.
    private static CollapseDiagnosis? Healthy(CollapseDetector detector, long from, long to)
    {
        var rng = new Random(1);
        for (long step = from; step < to; step++)
        {
            var sv = step % 5 == 0 ? Sv(1.0 + step * 1e-3, 1.0 + rng.NextDouble() * 0.05) : null;
            var found = detector.Observe(step, 0.7 + rng.NextDouble() * 0.6, 0.1 + rng.NextDouble() * 1.2, sv);
            if (found is not null) return found;
        }
        return null;
    }

    [TestMethod]
    public void AHealthyRunRaisesNothing()
    {
        Assert.IsNull(Healthy(new CollapseDetector(window: 40), 0, 2000));
    }

    [TestMethod]
    public void AJumpOfGsTopSingularValueIsCaughtAndNamed()
    {
        var detector = new CollapseDetector(window: 40);
        Assert.IsNull(Healthy(detector, 0, 100));
        var found = detector.Observe(100, 1.0, 1.0, Sv(1.0 + 100 * 1e-3, 2.5));
        Assert.IsNotNull(found);
        Assert.AreEqual(100, found.Step);
        StringAssert.Contains(found.Reason, "G.blocks.0.conv2");
        Assert.IsTrue(found.OnsetStep >= 60 && found.OnsetStep < 100, $"onset {found.OnsetStep}");
        // D's singular values are not G's: D may sharpen freely.
        var other = new CollapseDetector(window: 40);
        Healthy(other, 0, 100);
        Assert.IsNull(other.Observe(100, 1.0, 1.0, Sv(1.1, 1.0, d0: 10)));
    }

    [TestMethod]
    public void DWinningForAQuarterWindowIsCaught()
    {
        var detector = new CollapseDetector(window: 40);
        Assert.IsNull(Healthy(detector, 0, 100));
        CollapseDiagnosis? found = null;
        long step = 100;
        for (; found is null && step < 200; step++) found = detector.Observe(step, 0.0, 0.01, null);
        Assert.IsNotNull(found);
        Assert.AreEqual(109, found.Step, "the mean of the last 10 losses falls below 0.05 once they are all near 0");
        StringAssert.Contains(found.Reason, "D separates real from fake");
    }

    [TestMethod]
    public void NothingIsDecidedBeforeAWindowHasBeenSeenAndResetStartsAnew()
    {
        var detector = new CollapseDetector(window: 40);
        for (long step = 0; step < 40; step++) Assert.IsNull(detector.Observe(step, 0, 0, step % 5 == 0 ? Sv(1 + step) : null), $"step {step}");
        Assert.IsNotNull(detector.Observe(40, 0, 0, null));
        detector.Reset();
        for (long step = 41; step < 81; step++) Assert.IsNull(detector.Observe(step, 0, 0, null), $"after reset, step {step}");
    }

    [TestMethod]
    public void BadSettingsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CollapseDetector(window: 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CollapseDetector(sigmaJump: 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CollapseDetector(dLossFloor: double.NaN));
    }
}
