using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class LossesTests
{
    private static readonly double[] Real = [2.0, 0.5, -1.0, 0.0];
    private static readonly double[] Fake = [-2.0, 0.0, 0.5, 3.0];

    [TestMethod]
    public void HingeMatchesHandComputedValues()
    {
        using var scope = NewDisposeScope();
        var (real, fake) = Losses.Discriminator(tensor(Real), tensor(Fake), LossKind.Hinge);
        // relu(1 - [2, .5, -1, 0]) = [0, .5, 2, 1]; relu(1 + [-2, 0, .5, 3]) = [0, 1, 1.5, 4]
        Assert.AreEqual(3.5 / 4, real.ToDouble(), 1e-12);
        Assert.AreEqual(6.5 / 4, fake.ToDouble(), 1e-12);
        Assert.AreEqual(-1.5 / 4, Losses.Generator(tensor(Fake)).ToDouble(), 1e-12);
    }

    [TestMethod]
    public void HingeIsAboutTwoForOutputsNearZero()
    {
        using var scope = NewDisposeScope();
        var (real, fake) = Losses.Discriminator(zeros(new long[] { 8 }), zeros(new long[] { 8 }));
        Assert.AreEqual(2.0, real.ToDouble() + fake.ToDouble(), 1e-12);
        Assert.AreEqual(0.0, Losses.Generator(zeros(new long[] { 8 })).ToDouble(), 1e-12);
    }

    [TestMethod]
    public void NonSaturatingMatchesSoftplus()
    {
        using var scope = NewDisposeScope();
        static double Softplus(double x) => Math.Log(1 + Math.Exp(x));
        var (real, fake) = Losses.Discriminator(tensor(Real), tensor(Fake), LossKind.NonSaturating);
        Assert.AreEqual(Real.Average(x => Softplus(-x)), real.ToDouble(), 1e-12);
        Assert.AreEqual(Fake.Average(Softplus), fake.ToDouble(), 1e-12);
        Assert.AreEqual(Fake.Average(x => Softplus(-x)), Losses.Generator(tensor(Fake), LossKind.NonSaturating).ToDouble(), 1e-12);
    }

    [TestMethod]
    public void LossesAreDifferentiable()
    {
        using var scope = NewDisposeScope();
        var dFake = tensor(Fake, requires_grad: true);
        Losses.Generator(dFake).backward();
        CollectionAssert.AreEqual(Enumerable.Repeat(-0.25, 4).ToArray(), dFake.grad!.ToArray<double>());
    }

    [TestMethod]
    public void ReturnedLossesSurviveTheCallersScope()
    {
        Tensor g;
        using (var scope = NewDisposeScope())
        {
            g = Losses.Generator(tensor(Fake)).MoveToOuterDisposeScope();
        }
        using (g)
            Assert.AreEqual(-1.5 / 4, g.ToDouble(), 1e-12);
    }
}
