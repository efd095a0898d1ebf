using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class TrainingDivergedExceptionTests
{
    [TestMethod]
    public void NonFiniteLossStopsWithAMessageNamingLossStepAndCheckpoint()
    {
        // finite values, however extreme, pass
        TrainingDivergedException.ThrowIfNotFinite(new Dictionary<string, double> { ["G_loss"] = -1e30, ["D_loss_real"] = double.Epsilon }, 1);

        var losses = new Dictionary<string, double> { ["G_loss"] = 0.3, ["D_loss_real"] = double.NaN, ["D_loss_fake"] = double.PositiveInfinity };
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => TrainingDivergedException.ThrowIfNotFinite(losses, 1234, "/runs/a/checkpoints/step-000001000"));
        Assert.AreEqual("D_loss_real", e.LossName);
        Assert.AreEqual(1234, e.Step);
        Assert.IsTrue(double.IsNaN(e.Value));
        StringAssert.Contains(e.Message, "step 1234");
        StringAssert.Contains(e.Message, "D_loss_real is NaN");
        StringAssert.Contains(e.Message, "the last good checkpoint (/runs/a/checkpoints/step-000001000) is untouched");

        var inf = Assert.ThrowsExactly<TrainingDivergedException>(() => TrainingDivergedException.ThrowIfNotFinite("G_loss", double.NegativeInfinity, 3));
        StringAssert.Contains(inf.Message, "G_loss is -Infinity");
        StringAssert.Contains(inf.Message, "no checkpoint had been written yet");
    }
}
