namespace BigGan.Torch.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void AddsTwoTensors()
    {
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = tensor(new float[] { 10, 20, 30 });
        using var c = a + b;
        CollectionAssert.AreEqual(new float[] { 11, 22, 33 }, c.data<float>());
        Assert.AreEqual("1.13", string.Join('.', __version__.Split('.').Take(2)));
    }
}

[TestClass]
public sealed class GradcheckSmokeTests
{
    [TestMethod]
    public void GradcheckAcceptsTanhAndRejectsAWrongGradient()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3, 2 }, float64, requires_grad: true);
        Assert.IsTrue(autograd.gradcheck(a => a[0].tanh(), [x]) < 1e-6);
        // detach() hides the dependence from autograd: the analytic gradient is zero, the numeric one is not.
        Assert.ThrowsExactly<InvalidOperationException>(() => autograd.gradcheck(a => a[0].detach().tanh().add(a[0].mul(0.0)), [x]));
    }
}
