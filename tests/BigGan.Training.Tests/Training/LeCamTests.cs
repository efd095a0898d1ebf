using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class LeCamTests
{
    [TestMethod]
    public void PenaltyEqualsItsFormula()
    {
        using var scope = NewDisposeScope();
        var lecam = new LeCam(weight: 0.3) { RealEma = 0.5, FakeEma = -0.25 };
        double[] real = [1.0, -0.5, 0.0, 2.0], fake = [0.75, -1.0, 0.5, 0.0];
        // relu(real − ema_fake)² = [1.25², 0, 0.25², 2.25²]; relu(ema_real − fake)² = [0, 1.5², 0, 0.5²]
        double expected = 0.3 * ((1.5625 + 0.0625 + 5.0625) / 4 + (2.25 + 0.25) / 4);
        Assert.AreEqual(expected, lecam.Penalty(tensor(real), tensor(fake)).ToDouble(), 1e-12);
    }

    [TestMethod]
    public void AveragesFollowTheLatestBatchBeforeTheStartStepAndDecayAfter()
    {
        using var scope = NewDisposeScope();
        var lecam = new LeCam(weight: 1, decay: 0.9, startStep: 2);
        lecam.Update(2.0, -1.0, step: 0);
        Assert.AreEqual((2.0, -1.0), (lecam.RealEma, lecam.FakeEma));
        lecam.Update(4.0, 1.0, step: 1);
        Assert.AreEqual((4.0, 1.0), (lecam.RealEma, lecam.FakeEma));
        lecam.Update(0.0, 2.0, step: 2);
        Assert.AreEqual(4.0 * 0.9, lecam.RealEma, 1e-12);
        Assert.AreEqual(0.9 + 2.0 * 0.1, lecam.FakeEma, 1e-12);
    }

    [TestMethod]
    public void PenaltyHasGradientsForBothOutputs()
    {
        using var scope = NewDisposeScope();
        var lecam = new LeCam(weight: 2) { RealEma = 0, FakeEma = 0 };
        var real = tensor(new[] { 1.0, -1.0 }).requires_grad_();
        var fake = tensor(new[] { -3.0, 1.0 }).requires_grad_();
        lecam.Penalty(real, fake).backward();
        // d/dr of 2·mean(relu(r)²) = 2·r (n = 2) where r > 0; d/df of 2·mean(relu(−f)²) = 2·f where f < 0
        CollectionAssert.AreEqual(new[] { 2.0, 0.0 }, real.grad!.ToArray<double>());
        CollectionAssert.AreEqual(new[] { -6.0, 0.0 }, fake.grad!.ToArray<double>());
    }

    [TestMethod]
    public void AveragesRoundTripThroughCheckpointMetadataBitExactly()
    {
        var saved = new LeCam(0.3) { RealEma = 0.1 + 0.2, FakeEma = -1.0 / 3 };
        var metadata = new Dictionary<string, string>();
        saved.SaveTo(metadata);
        var loaded = new LeCam(0.3);
        loaded.LoadFrom(metadata, "state.safetensors");
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(saved.RealEma), BitConverter.DoubleToInt64Bits(loaded.RealEma));
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(saved.FakeEma), BitConverter.DoubleToInt64Bits(loaded.FakeEma));
        var e = Assert.ThrowsExactly<ArgumentException>(() => loaded.LoadFrom(new Dictionary<string, string>(), "runs/x/state.safetensors"));
        StringAssert.Contains(e.Message, "runs/x/state.safetensors");
    }

    [TestMethod]
    public void BadSettingsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeCam(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeCam(double.NaN));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeCam(0.3, decay: 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeCam(0.3, startStep: -1));
    }
}
