using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>Elementwise math, broadcasting, matrix products and in-place ops, against values computed with System.Math.</summary>
[TestClass]
public sealed class ElementwiseTests
{
    private static readonly double[] Xs = [-2, -0.5, 0, 0.5, 2, 3.7];

    private static void Unary(Func<Tensor, Tensor> op, Func<double, double> reference, double[]? xs = null, string? what = null)
    {
        xs ??= Xs;
        using var scope = NewDisposeScope();
        var x = D(xs);
        var y = op(x);
        Close(xs.Select(reference).ToArray(), y, 1e-12, what);
        Assert.AreEqual(float64, y.dtype, what);
        Equal(xs, x, what + " (input untouched)");
    }

    [TestMethod]
    public void UnaryOpsMatchSystemMath()
    {
        var pos = new double[] { 0.25, 0.5, 1, 2, 9 };
        Unary(x => x.neg(), v => -v, what: "neg");
        Unary(x => -x, v => -v, what: "unary minus");
        Unary(x => x.exp(), Math.Exp, what: "exp");
        Unary(x => x.log(), Math.Log, pos, "log");
        Unary(x => x.sqrt(), Math.Sqrt, pos, "sqrt");
        Unary(x => x.rsqrt(), v => 1 / Math.Sqrt(v), pos, "rsqrt");
        Unary(x => x.abs(), Math.Abs, what: "abs");
        Unary(x => x.relu(), v => Math.Max(0, v), what: "relu");
        Unary(x => x.tanh(), Math.Tanh, what: "tanh");
        Unary(x => x.sigmoid(), v => 1 / (1 + Math.Exp(-v)), what: "sigmoid");
        Unary(x => x.sign(), v => Math.Sign(v), what: "sign");
        Unary(x => x.floor(), Math.Floor, what: "floor");
        Unary(x => x.ceil(), Math.Ceiling, what: "ceil");
        Unary(x => x.square(), v => v * v, what: "square");
        Unary(x => x.reciprocal(), v => 1 / v, pos, "reciprocal");
        Unary(x => x.sin(), Math.Sin, what: "sin");
        Unary(x => x.cos(), Math.Cos, what: "cos");
        Unary(x => x.log1p(), v => Math.Log(1 + v), pos, "log1p");
        Unary(x => x.expm1(), v => Math.Exp(v) - 1, what: "expm1");
        Unary(x => torch.exp(x), Math.Exp, what: "torch.exp");
        Unary(x => torch.abs(x), Math.Abs, what: "torch.abs");
        Unary(x => torch.sigmoid(x), v => 1 / (1 + Math.Exp(-v)), what: "torch.sigmoid");
        Unary(x => nn.functional.relu(x), v => Math.Max(0, v), what: "F.relu");
        Unary(x => nn.functional.tanh(x), Math.Tanh, what: "F.tanh");
    }

    [TestMethod]
    public void RoundIsHalfToEven()
    {
        using var scope = NewDisposeScope();
        Equal(new double[] { -2, -0, 0, 2, 2, 4 }, D([-2.5, -0.5, 0.5, 1.5, 2.5, 3.5]).round());
    }

    [TestMethod]
    public void PredicatesReturnBool()
    {
        using var scope = NewDisposeScope();
        var x = D([1, double.NaN, double.PositiveInfinity, 0]);
        var nan = x.isnan();
        Assert.AreEqual(@bool, nan.dtype);
        Equal(new[] { false, true, false, false }, nan);
        Equal(new[] { true, false, false, true }, x.isfinite());
        Equal(new[] { false, false, false, true }, x.logical_not());
    }

    [TestMethod]
    public void InPlaceUnaryOpsReturnThisAndChangeIt()
    {
        using var scope = NewDisposeScope();
        var x = D([-1, 4]);
        Assert.AreSame(x, x.neg_());
        Equal(new double[] { 1, -4 }, x);
        Assert.AreSame(x, x.abs_());
        Equal(new double[] { 1, 4 }, x);
        Assert.AreSame(x, x.sqrt_());
        Equal(new double[] { 1, 2 }, x);
        x.exp_();
        Close([Math.E, Math.Exp(2)], x, 1e-12);
        x.tanh_();
        Close([Math.Tanh(Math.E), Math.Tanh(Math.Exp(2))], x, 1e-12);
        var r = D([-3, 0.5, 2.5]);
        r.relu_();
        Equal(new double[] { 0, 0.5, 2.5 }, r);
        r.round_();
        Equal(new double[] { 0, 0, 2 }, r);
    }

    [TestMethod]
    public void BinaryOpsBroadcast()
    {
        using var scope = NewDisposeScope();
        var a = D([1, 2], 2, 1);
        var b = D([10, 20, 30]);
        Close([11, 21, 31, 12, 22, 32], [2, 3], a + b);
        Close([-9, -19, -29, -8, -18, -28], [2, 3], a - b);
        Close([10, 20, 30, 20, 40, 60], [2, 3], a * b);
        Close([0.1, 0.05, 1 / 30.0, 0.2, 0.1, 2 / 30.0], [2, 3], a / b, 1e-15);
        Close([21, 41, 61, 22, 42, 62], [2, 3], a.add(b, alpha: 2));
        Close([-29, -59, -89, -28, -58, -88], [2, 3], a.sub(b, alpha: 3));
        Close([1, 1, 1, 1024, 1048576, 1073741824], [2, 3], a.pow(b));
        Close([10, 20, 30, 10, 20, 30], [2, 3], a.maximum(b).minimum(D([100, 100, 100])));
        Close([1, 1, 1, 2, 2, 2], [2, 3], torch.minimum(a, b));
        Close([10, 20, 30, 10, 20, 30], [2, 3], torch.maximum(a, b));
    }

    [TestMethod]
    public void ScalarOps()
    {
        using var scope = NewDisposeScope();
        var a = D([1, 2, 4]);
        Equal(new double[] { 3.5, 4.5, 6.5 }, a + 2.5);
        Equal(new double[] { 3.5, 4.5, 6.5 }, 2.5 + a);
        Equal(new double[] { -1, 0, 2 }, a - 2);
        Equal(new double[] { 1, 0, -2 }, 2 - a);
        Equal(new double[] { 3, 6, 12 }, a * 3);
        Equal(new double[] { 3, 6, 12 }, 3 * a);
        Equal(new double[] { 0.5, 1, 2 }, a / 2);
        Equal(new double[] { 8, 4, 2 }, 8 / a);
        Equal(new double[] { 1, 4, 16 }, a.pow(2));
        // Python's remainder: the sign follows the divisor.
        Equal(new double[] { 1, 0, 1, 0.5 }, D([-3, -2, 5, 2.5]).remainder(2));
    }

    [TestMethod]
    public void IntegerTensorsKeepTheirTypeWithIntegralScalarsAndPromoteOtherwise()
    {
        using var scope = NewDisposeScope();
        var i = L([1, 2, 3]);
        var plus = i + 3;
        Assert.AreEqual(int64, plus.dtype);
        Equal(new long[] { 4, 5, 6 }, plus);
        // torch.tensor([1, 2, 3]) * 2.5 -> float32 [2.5, 5.0, 7.5] (default dtype promotion)
        var scaled = i * 2.5;
        Assert.AreEqual(float32, scaled.dtype);
        Equal(new float[] { 2.5f, 5f, 7.5f }, scaled);
        var f = F([1, 2]);
        var promoted = f + D([0.5, 0.5]);
        Assert.AreEqual(float64, promoted.dtype);
    }

    [TestMethod]
    public void ComparisonsAndLogic()
    {
        using var scope = NewDisposeScope();
        var a = D([1, 2, 3]);
        var b = D([3, 2, 1]);
        Equal(new[] { false, true, false }, a.eq(b));
        Equal(new[] { true, false, true }, a.ne(b));
        Equal(new[] { true, false, false }, a.lt(b));
        Equal(new[] { true, true, false }, a.le(b));
        Equal(new[] { false, false, true }, a.gt(b));
        Equal(new[] { false, true, true }, a.ge(b));
        Equal(new[] { false, true, false }, a.eq(2));
        Equal(new[] { true, false, true }, a.ne(2));
        Equal(new[] { true, false, false }, a.lt(2));
        Equal(new[] { true, true, false }, a.le(2));
        Equal(new[] { false, false, true }, a.gt(2));
        Equal(new[] { false, true, true }, a.ge(2));
        var p = tensor(new[] { true, true, false, false });
        var q = tensor(new[] { true, false, true, false });
        Equal(new[] { true, false, false, false }, p.logical_and(q));
        Equal(new[] { true, true, true, false }, p.logical_or(q));
    }

    [TestMethod]
    public void SoftplusFollowsBetaAndThreshold()
    {
        using var scope = NewDisposeScope();
        var x = F([-1, 0, 0.3f, 0.6f, 2]);
        // F.softplus(torch.tensor([-1., 0., .3, .6, 2.]), beta=2, threshold=1): beta*x > threshold returns x itself
        Close([0.0634640008, 0.346573591, 0.518743992, 0.600000024, 2], x.softplus(2, 1), 1e-7);
        Close(new[] { -1, 0, 0.3, 0.6, 2 }.Select(v => Math.Log(1 + Math.Exp(v))).ToArray(), nn.functional.softplus(x), 1e-6);
    }

    [TestMethod]
    public void ClampWithMinMaxOrBoth()
    {
        using var scope = NewDisposeScope();
        var x = D([-3, -1, 0, 1, 3]);
        Equal(new double[] { -1, -1, 0, 1, 3 }, x.clamp(min: -1));
        Equal(new double[] { -3, -1, 0, 1, 1 }, x.clamp(max: 1));
        Equal(new double[] { -2, -1, 0, 1, 2 }, torch.clamp(x, -2, 2));
        Equal(new double[] { -3, -1, 0, 1, 3 }, x, "clamp leaves its input alone");
        Assert.AreSame(x, x.clamp_(0, 2));
        Equal(new double[] { 0, 0, 0, 1, 2 }, x);
        Assert.ThrowsExactly<ArgumentException>(() => x.clamp());
    }

    [TestMethod]
    public void WhereBroadcastsItsThreeArguments()
    {
        using var scope = NewDisposeScope();
        var cond = tensor(new[] { true, false, true });
        var a = D([1, 2, 3, 4, 5, 6], 2, 3);
        var b = D([-1]);
        Close([1, -1, 3, 4, -1, 6], [2, 3], torch.where(cond, a, b));
        Close([0, 0, 3, 4, 5, 6], [2, 3], torch.where(a.gt(2.5), a, zeros_like(a)));
    }

    [TestMethod]
    public void MatrixProducts()
    {
        using var scope = NewDisposeScope();
        var a = D([1, 2, 3, 4, 5, 6], 2, 3);
        var b = D([7, 8, 9, 10, 11, 12], 3, 2);
        // [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
        Close([58, 64, 139, 154], [2, 2], a.mm(b));
        Close([58, 64, 139, 154], [2, 2], torch.mm(a, b));
        Close([58, 64, 139, 154], [2, 2], a.matmul(b));
        // vector @ matrix and batched @ broadcast matrix
        Close([58, 64], [2], D([1, 2, 3]).matmul(b));
        var batch = torch.stack([a, a.mul(-1)]);
        Close([58, 64, 139, 154, -58, -64, -139, -154], [2, 2, 2], torch.matmul(batch, b));
        var bb = torch.stack([b, b.mul(2)]);
        Close([58, 64, 139, 154, 116, 128, 278, 308], [2, 2, 2], batch.abs().bmm(bb));
        Close([58, 64, 139, 154, 116, 128, 278, 308], [2, 2, 2], torch.bmm(batch.abs(), bb));
        Close([1, 4, 2, 5, 3, 6], [3, 2], a.t().contiguous());
    }

    [TestMethod]
    public void InPlaceOpsUsedByOptimizers()
    {
        using var scope = NewDisposeScope();
        var p = D([1, 2, 3]);
        var g = D([0.5, -1, 2]);
        Assert.AreSame(p, p.add_(g, alpha: 2));
        Equal(new double[] { 2, 0, 7 }, p);
        Assert.AreSame(p, p.add_(1));
        Equal(new double[] { 3, 1, 8 }, p);
        p.sub_(g, alpha: 2).sub_(1);
        Equal(new double[] { 1, 2, 3 }, p);
        Assert.AreSame(p, p.mul_(g));
        Equal(new double[] { 0.5, -2, 6 }, p);
        p.mul_(2).div_(g);
        Equal(new double[] { 2, 4, 6 }, p);
        p.div_(2).pow_(2);
        Equal(new double[] { 1, 4, 9 }, p);
        // addcmul_: p + v * t1 * t2 ; addcdiv_: p + v * t1 / t2
        Assert.AreSame(p, p.addcmul_(g, D([2, 2, 2]), 0.5));
        Equal(new double[] { 1.5, 3, 11 }, p);
        Assert.AreSame(p, p.addcdiv_(D([3, 3, 3]), D([1, 2, 4]), -2));
        Equal(new double[] { -4.5, 0, 9.5 }, p);
        // lerp_: p + w * (end - p)
        Assert.AreSame(p, p.lerp_(D([5.5, 10, -0.5]), 0.1));
        Close([-3.5, 1, 8.5], p, 1e-12);
        Assert.AreSame(p, p.copy_(D([7])));
        Equal(new double[] { 7, 7, 7 }, p, "copy_ broadcasts");
        Assert.AreSame(p, p.fill_(-1.25));
        Equal(new double[] { -1.25, -1.25, -1.25 }, p);
        Assert.AreSame(p, p.zero_());
        Equal(new double[] { 0, 0, 0 }, p);
        var i = L([1, 2]);
        i.fill_(3.0);
        Equal(new long[] { 3, 3 }, i, "an integral value fills an int64 tensor");
        var m = D([1, 2, 3]).masked_fill(tensor(new[] { true, false, true }), 9);
        Equal(new double[] { 9, 2, 9 }, m);
    }

    [TestMethod]
    public void EmaUpdateThroughAViewChangesTheBase()
    {
        using var scope = NewDisposeScope();
        var ema = zeros([2, 3], float64);
        var row = ema.select(0, 1);
        row.lerp_(D([1, 2, 3]), 0.5);
        Equal(new double[] { 0, 0, 0, 0.5, 1, 1.5 }, ema);
        ema.narrow(1, 0, 1).fill_(4);
        Equal(new double[] { 4, 0, 0, 4, 1, 1.5 }, ema);
    }

    [TestMethod]
    public void SeededNormalAndUniformAreReproducibleAndMatchPyTorch()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var n = empty([4]).normal_(1, 2, g);
        // g = torch.Generator().manual_seed(7); torch.empty(4).normal_(1, 2, generator=g)
        Close([0.706409812, 2.57228255, 2.89364314, -1.228688], n, 1e-6);
        g.manual_seed(7);
        var u = empty([4]).uniform_(-1, 3, g);
        // g = torch.Generator().manual_seed(7); torch.empty(4).uniform_(-1, 3, generator=g)
        Close([1.13969016, -0.204787254, 1.63684678, 1.62756109], u, 1e-6);

        var big = empty([20000], float64).normal_(3, 0.5, g);
        Assert.AreEqual(3, big.mean().ToDouble(), 0.02);
        Assert.AreEqual(0.5, big.std().ToDouble(), 0.02);
        var uni = empty([20000], float64).uniform_(-2, 1, g);
        Assert.IsTrue(uni.min().ToDouble() >= -2 && uni.max().ToDouble() < 1);
        Assert.AreEqual(-0.5, uni.mean().ToDouble(), 0.03);
        Assert.ThrowsExactly<ArgumentException>(() => uni.normal_(0, -1));
        Assert.ThrowsExactly<ArgumentException>(() => uni.uniform_(1, 0));
    }
}
