using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>Autograd semantics: leaves, backward with and without a gradient, accumulation, detach, grad modes, autograd.grad.</summary>
[TestClass]
public sealed class AutogradTests
{
    [TestMethod]
    public void BackwardFillsLeafGradients()
    {
        using var scope = NewDisposeScope();
        var x = D([1, -2, 3]).requires_grad_();
        Assert.IsTrue(x.requires_grad);
        Assert.IsTrue(x.is_leaf);
        Assert.IsNull(x.grad, "no gradient before backward");
        var y = (x * x).sum();
        Assert.IsFalse(y.is_leaf);
        Assert.IsTrue(y.requires_grad);
        y.backward();
        Equal(new double[] { 2, -4, 6 }, x.grad!);
        // Gradients accumulate across backward calls until cleared.
        (x * 3).sum().backward();
        Equal(new double[] { 5, -1, 9 }, x.grad!);
        x.grad = null;
        Assert.IsNull(x.grad);
        x.grad = D([1, 1, 1]);
        Equal(new double[] { 1, 1, 1 }, x.grad!);
    }

    [TestMethod]
    public void BackwardWithAGradientForNonScalars()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2, 3]).requires_grad_();
        var y = x.exp();
        y.backward(D([1, 0, 2]));
        Close([Math.E, 0, 2 * Math.Exp(3)], x.grad!, 1e-12);
    }

    [TestMethod]
    public void RetainGraphAllowsASecondBackward()
    {
        using var scope = NewDisposeScope();
        var x = D([2]).requires_grad_();
        var y = (x * x * x).sum();
        y.backward(retain_graph: true);
        y.backward();
        Equal(new double[] { 24 }, x.grad!);
        var z = (x.exp()).sum();
        z.backward();
        Assert.ThrowsExactly<TorchException>(() => z.backward(), "the graph was freed");
    }

    [TestMethod]
    public void DetachAndRequiresGradFalseStopGradients()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2]).requires_grad_();
        var d = x.detach();
        Assert.IsFalse(d.requires_grad);
        var y = (x * d).sum();
        y.backward();
        Equal(new double[] { 1, 2 }, x.grad!, "d is a constant");
        d.fill_(5);
        Equal(new double[] { 5, 5 }, x, "detach shares storage");
        x.requires_grad = false;
        Assert.IsFalse((x * 2).requires_grad);
        Assert.IsFalse(ones(2).requires_grad);
        Assert.IsTrue((ones(2) + D([1, 1]).requires_grad_()).requires_grad);
    }

    [TestMethod]
    public void NoGradEnableGradAndInferenceModeNest()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2]).requires_grad_();
        Assert.IsTrue(is_grad_enabled());
        using (no_grad())
        {
            Assert.IsFalse(is_grad_enabled());
            Assert.IsFalse((x * 2).requires_grad);
            using (enable_grad())
            {
                Assert.IsTrue(is_grad_enabled());
                Assert.IsTrue((x * 2).requires_grad);
            }
            Assert.IsFalse(is_grad_enabled());
        }
        Assert.IsTrue(is_grad_enabled());
        Assert.IsFalse(is_inference_mode_enabled());
        using (inference_mode())
        {
            Assert.IsTrue(is_inference_mode_enabled());
            Assert.IsFalse(is_grad_enabled());
            var y = x * 2;
            Assert.IsFalse(y.requires_grad);
            Equal(new double[] { 2, 4 }, y);
        }
        Assert.IsFalse(is_inference_mode_enabled());
        Assert.IsTrue(is_grad_enabled());
    }

    [TestMethod]
    public void GradModeIsThreadLocal()
    {
        using var _ = no_grad();
        bool other = false;
        var t = new Thread(() => other = is_grad_enabled());
        t.Start();
        t.Join();
        Assert.IsTrue(other, "another thread keeps grad enabled");
        Assert.IsFalse(is_grad_enabled());
    }

    [TestMethod]
    public void AutogradGradWithCreateGraphGivesSecondDerivatives()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2, 3]).requires_grad_();
        var y = x.pow(3).sum();
        var g = autograd.grad([y], [x], create_graph: true)[0]!;
        Equal(new double[] { 3, 12, 27 }, g);
        Assert.IsTrue(g.requires_grad);
        var g2 = autograd.grad([g.sum()], [x])[0]!;
        Equal(new double[] { 6, 12, 18 }, g2);
        Assert.IsNull(x.grad, "autograd.grad does not accumulate into .grad");

        var unused = D([1]).requires_grad_();
        var r = autograd.grad([(x * 2).sum()], [x, unused]);
        Equal(new double[] { 2, 2, 2 }, r[0]!);
        Assert.IsNull(r[1], "an unused input gets null");

        var v = x * x;
        var weighted = autograd.grad([v], [x], [D([1, 0, -1])])[0]!;
        Equal(new double[] { 2, 0, -6 }, weighted);
        Assert.ThrowsExactly<ArgumentException>(() => autograd.grad([v], [x], [null, null]));
    }

    [TestMethod]
    public void GradientPenaltyStyleDoubleBackward()
    {
        // The R1/gradient-penalty pattern: ||d out / d x||^2 backpropagated into the weights.
        using var scope = NewDisposeScope();
        var w = D([0.5, -1]).requires_grad_();
        var x = D([2, 3]).requires_grad_();
        var outp = (x * w).tanh().sum();
        var gx = autograd.grad([outp], [x], create_graph: true)[0]!;
        var penalty = gx.square().sum();
        penalty.backward();
        // d/dw_i of (w_i * sech^2(w_i x_i))^2, by hand
        double G(double wi, double xi) { var s = 1 / Math.Cosh(wi * xi); var t = Math.Tanh(wi * xi); return 2 * (wi * s * s) * (s * s - 2 * wi * xi * s * s * t); }
        Close([G(0.5, 2), G(-1, 3)], w.grad!, 1e-10);
    }
}
