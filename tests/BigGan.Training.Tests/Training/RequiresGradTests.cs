using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class RequiresGradTests
{
    [TestMethod]
    public void ToggleTrainsOneAndFreezesTheOther()
    {
        using var g = new TinyStack(3, 4, 2, seed: 1);
        using var d = new TinyStack(2, 4, 1, seed: 2);
        RequiresGrad.Toggle(trained: d, frozen: g);
        Assert.IsTrue(d.parameters().All(p => p.requires_grad));
        Assert.IsTrue(g.parameters().All(p => !p.requires_grad));
        RequiresGrad.Toggle(trained: g, frozen: d);
        Assert.IsTrue(g.parameters().All(p => p.requires_grad));
        Assert.IsTrue(d.parameters().All(p => !p.requires_grad));
    }

    [TestMethod]
    public void AFrozenGeneratorGetsNoGradientFromADiscriminatorBackward()
    {
        using var g = new TinyStack(3, 4, 2, seed: 1);
        using var d = new TinyStack(2, 4, 1, seed: 2);
        using var scope = NewDisposeScope();
        RequiresGrad.Toggle(trained: d, frozen: g);
        d.forward(g.forward(randn(new long[] { 5, 3 }))).sum().backward();
        Assert.IsTrue(g.parameters().All(p => p.grad is null));
        Assert.IsTrue(d.parameters().All(p => p.grad is not null));
    }

    [TestMethod]
    public void FreezeRestoresEachParametersPreviousFlag()
    {
        using var net = new TinyNet(3, 4, seed: 1);
        var bias = net.named_parameters().Single(p => p.name == "bias").parameter;
        bias.requires_grad = false;
        using (RequiresGrad.Freeze(net))
            Assert.IsTrue(net.parameters().All(p => !p.requires_grad));
        Assert.IsTrue(net.named_parameters().Single(p => p.name == "weight").parameter.requires_grad);
        Assert.IsFalse(bias.requires_grad);
    }
}
