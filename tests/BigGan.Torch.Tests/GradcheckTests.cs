using Fn = BigGan.Torch.torch.nn.functional;

namespace BigGan.Torch.Tests;

/// <summary>
/// autograd.gradcheck (central differences in float64) on every differentiable op the binding exposes. Tensors are
/// tiny because gradcheck runs two forward passes per input element. Inputs are seeded, so the points are fixed.
/// </summary>
[TestClass]
public sealed class GradcheckTests
{
    private static Generator _gen = null!;

    [TestInitialize]
    public void Seed() => _gen = new Generator(1234);

    [TestCleanup]
    public void Release() => _gen.Dispose();

    /// <summary>A float64 leaf that requires grad, from seeded normals optionally mapped (e.g. to positive values).</summary>
    private static Tensor In(long[] shape, Func<Tensor, Tensor>? map = null)
    {
        var t = randn(shape, float64, generator: _gen);
        if (map is not null) t = map(t);
        return t.detach().requires_grad_();
    }

    private static Tensor Pos(long[] shape) => In(shape, t => t.abs().add(0.5));

    private static void Check(string name, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        double worst;
        try { worst = autograd.gradcheck(f, inputs); }
        catch (InvalidOperationException e) { throw new AssertFailedException($"{name}: {e.Message}", e); }
        Assert.IsLessThan(1e-5, worst, name);
    }

    [TestMethod]
    public void UnaryOps()
    {
        using var scope = NewDisposeScope();
        long[] s = [2, 3];
        Check("neg", a => a[0].neg(), In(s));
        Check("exp", a => a[0].exp(), In(s));
        Check("log", a => a[0].log(), Pos(s));
        Check("sqrt", a => a[0].sqrt(), Pos(s));
        Check("rsqrt", a => a[0].rsqrt(), Pos(s));
        Check("abs", a => a[0].abs(), In(s));
        Check("relu", a => a[0].relu(), In(s));
        Check("tanh", a => a[0].tanh(), In(s));
        Check("sigmoid", a => a[0].sigmoid(), In(s));
        Check("square", a => a[0].square(), In(s));
        Check("reciprocal", a => a[0].reciprocal(), Pos(s));
        Check("sin", a => a[0].sin(), In(s));
        Check("cos", a => a[0].cos(), In(s));
        Check("log1p", a => a[0].log1p(), Pos(s));
        Check("expm1", a => a[0].expm1(), In(s));
        Check("softplus", a => a[0].softplus(), In(s));
        Check("softplus beta 2 threshold 3", a => Fn.softplus(a[0], 2, 3), In(s));
        Check("clamp", a => a[0].clamp(-0.5, 0.5), In([3, 3]));
        Check("clamp min", a => a[0].clamp(min: 0.1), In(s));
        Check("pow scalar", a => a[0].pow(3), In(s));
        Check("pow fractional", a => a[0].pow(1.5), Pos(s));
    }

    [TestMethod]
    public void BinaryOpsWithBroadcasting()
    {
        using var scope = NewDisposeScope();
        Check("add alpha", a => a[0].add(a[1], 2.5), In([2, 3]), In([3]));
        Check("sub alpha", a => a[0].sub(a[1], -1.5), In([2, 1]), In([1, 3]));
        Check("mul", a => a[0] * a[1], In([2, 3]), In([2, 1]));
        Check("div", a => a[0] / a[1], In([2, 3]), Pos([3]));
        Check("pow tensor", a => a[0].pow(a[1]), Pos([2, 3]), In([2, 3]));
        Check("maximum", a => a[0].maximum(a[1]), In([2, 3]), In([2, 3]));
        Check("minimum", a => a[0].minimum(a[1]), In([2, 3]), In([3]));
        Check("scalar ops", a => (2 - a[0]) * 3 + 1 - a[0] / 4, In([4]));
        Check("rdiv", a => 2 / a[0], Pos([4]));
    }

    [TestMethod]
    public void MatrixProducts()
    {
        using var scope = NewDisposeScope();
        Check("mm", a => a[0].mm(a[1]), In([2, 3]), In([3, 2]));
        Check("matmul batched", a => a[0].matmul(a[1]), In([2, 2, 3]), In([3, 2]));
        Check("matmul vector", a => a[0].matmul(a[1]), In([3]), In([3, 2]));
        Check("bmm", a => a[0].bmm(a[1]), In([2, 2, 3]), In([2, 3, 2]));
    }

    [TestMethod]
    public void Reductions()
    {
        using var scope = NewDisposeScope();
        long[] s = [2, 3, 2];
        Check("sum", a => a[0].sum(), In(s));
        Check("sum dims keepdim", a => a[0].sum([0, 2], keepdim: true), In(s));
        Check("mean", a => a[0].mean(), In(s));
        Check("mean dim", a => a[0].mean(1), In(s));
        Check("mean dims keepdim", a => a[0].mean([1, 2], keepdim: true), In(s));
        Check("var", a => a[0].var(), In(s));
        Check("var dims correction 0", a => a[0].var([0, 2], correction: 0), In(s));
        Check("var dim keepdim", a => a[0].var(1, keepdim: true), In(s));
        Check("std dims", a => a[0].std([1]), In(s));
        Check("norm", a => a[0].norm(), In(s));
        Check("norm dims keepdim", a => a[0].norm(2, [1, 2], keepdim: true), In(s));
        Check("norm p1 dim", a => a[0].norm(1, [0]), In(s));
        Check("max", a => a[0].max(), In(s));
        Check("amax dims", a => a[0].amax([0, 1]), In(s));
        Check("amin dims keepdim", a => a[0].amin([2], keepdim: true), In(s));
        Check("max dim values", a => a[0].max(1).values, In(s));
        Check("min dim values keepdim", a => a[0].min(2, keepdim: true).values, In(s));
        Check("logsumexp", a => a[0].logsumexp(1), In(s));
        Check("prod", a => a[0].prod(), In([5]));
    }

    [TestMethod]
    public void ShapeOps()
    {
        using var scope = NewDisposeScope();
        long[] s = [2, 3, 2];
        Check("reshape", a => a[0].reshape(3, 4).mul(D34()), In(s));
        Check("view", a => a[0].view(-1, 2).mul(D62()), In(s));
        Check("flatten", a => a[0].flatten(1).mul(D26()), In(s));
        Check("squeeze/unsqueeze", a => a[0].unsqueeze(1).squeeze(1).unsqueeze(-1).squeeze(), In(s));
        Check("expand", a => a[0].expand(4, 3, 2), In([3, 1]));
        Check("repeat", a => a[0].repeat(2, 2), In([2, 3]));
        Check("permute", a => a[0].permute(2, 0, 1).contiguous(), In(s));
        Check("transpose", a => a[0].transpose(0, 2), In(s));
        Check("t", a => a[0].t().mm(a[0]), In([3, 2]));
        Check("flip", a => a[0].flip(0, 2), In(s));
        Check("narrow", a => a[0].narrow(1, 1, 2), In(s));
        Check("slice step", a => a[0].slice(1, 0, 3, 2), In(s));
        Check("select", a => a[0].select(1, -1), In(s));
        Check("indexer", a => a[0][1], In(s));
        Check("cat", a => cat([a[0], a[1]], 1), In([2, 2]), In([2, 3]));
        Check("stack", a => stack([a[0], a[1]], 1), In([2, 3]), In([2, 3]));
        Check("chunk", a => { var c = a[0].chunk(3, 1); return c[0] * 2 + c[2] - c[1].square(); }, In([2, 6]));
        Check("split", a => { var c = a[0].split([1, 3]); return c[1].sum(0) * c[0]; }, In([4, 2]));
        Check("index_select", a => a[0].index_select(1, tensor(new long[] { 2, 0, 2 })), In([2, 3]));
        Check("gather", a => a[0].gather(1, tensor(new long[] { 2, 0, 1, 1 }, [2, 2])), In([2, 3]));
        Check("where", a => where(tensor(new[] { true, false, true }), a[0], a[1]), In([2, 3]), In([3]));
        Check("masked_fill", a => a[0].masked_fill(tensor(new[] { true, false, false }), 0), In([2, 3]));
        Check("diagonal", a => a[0].diagonal(1), In([3, 3]));
        Check("contiguous/clone/alias", a => a[0].t().contiguous().clone().alias(), In([2, 3]));
    }

    private static Tensor D34() => arange(0, 12, 1, float64).reshape(3, 4);
    private static Tensor D62() => arange(0, 12, 1, float64).reshape(6, 2);
    private static Tensor D26() => arange(0, 12, 1, float64).reshape(2, 6);

    [TestMethod]
    public void LinearAndConv()
    {
        using var scope = NewDisposeScope();
        Check("linear", a => Fn.linear(a[0], a[1], a[2]), In([2, 3]), In([4, 3]), In([4]));
        Check("linear no bias", a => Fn.linear(a[0], a[1]), In([3]), In([2, 3]));
        Check("conv2d", a => Fn.conv2d(a[0], a[1], a[2]), In([1, 2, 4, 4]), In([3, 2, 3, 3]), In([3]));
        Check("conv2d stride 2 padding 1", a => Fn.conv2d(a[0], a[1], null, stride: 2, padding: 1), In([2, 2, 5, 5]), In([2, 2, 3, 3]));
        Check("conv2d groups 2 dilation 2", a => Fn.conv2d(a[0], a[1], a[2], padding: 2, dilation: 2, groups: 2), In([1, 4, 4, 4]), In([2, 2, 3, 3]), In([2]));
        Check("conv2d asymmetric", a => Fn.conv2d(a[0], a[1], null, (2, 1), (0, 1), (1, 1)), In([1, 1, 5, 4]), In([2, 1, 3, 2]));
    }

    [TestMethod]
    public void NormalisationPoolingAndResampling()
    {
        using var scope = NewDisposeScope();
        Check("batch_norm training", a => Fn.batch_norm(a[0], null, null, a[1], a[2], training: true, eps: 1e-3), In([3, 2, 2, 2]), In([2]), In([2]));
        Check("batch_norm training 2-d", a => Fn.batch_norm(a[0], null, null, null, null, training: true), In([4, 3]));
        var rm = tensor(new double[] { 0.1, -0.2 });
        var rv = tensor(new double[] { 1.5, 0.5 });
        Check("batch_norm eval", a => Fn.batch_norm(a[0], rm, rv, a[1], a[2], training: false), In([2, 2, 2]), In([2]), In([2]));
        Check("embedding weight", a => Fn.embedding(tensor(new long[] { 1, 3, 1, 0 }, [2, 2]), a[0]), In([4, 3]));
        Check("max_pool2d", a => Fn.max_pool2d(a[0], 2), In([1, 2, 4, 4]));
        Check("max_pool2d k3 s2 p1", a => Fn.max_pool2d(a[0], 3, 2, 1), In([1, 1, 5, 5]));
        Check("avg_pool2d", a => Fn.avg_pool2d(a[0], 2), In([1, 2, 4, 4]));
        Check("avg_pool2d k3 s2 p1", a => Fn.avg_pool2d(a[0], 3, 2, 1), In([1, 1, 5, 5]));
        Check("interpolate x2", a => Fn.interpolate(a[0], scale_factor: 2), In([1, 2, 2, 3]));
        Check("interpolate size", a => Fn.interpolate(a[0], size: (5, 2)), In([1, 1, 3, 3]));
    }

    [TestMethod]
    public void SoftmaxAndLosses()
    {
        using var scope = NewDisposeScope();
        Check("softmax dim 1", a => Fn.softmax(a[0], 1), In([2, 3]));
        Check("softmax dim 0", a => Fn.softmax(a[0], 0), In([2, 3]));
        Check("log_softmax dim -1", a => Fn.log_softmax(a[0], -1), In([2, 2, 3]));
        var target = tensor(new long[] { 2, 0, 1 });
        Check("cross_entropy mean", a => Fn.cross_entropy(a[0], target), In([3, 4]));
        Check("cross_entropy sum", a => Fn.cross_entropy(a[0], target, "sum"), In([3, 4]));
        Check("cross_entropy none", a => Fn.cross_entropy(a[0], target, "none"), In([3, 4]));
        Check("cross_entropy label smoothing", a => Fn.cross_entropy(a[0], target, label_smoothing: 0.1), In([3, 4]));
        Check("mse_loss", a => Fn.mse_loss(a[0], a[1]), In([2, 3]), In([2, 3]));
    }
}
