using BigGan.Torch.Native;
using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

// Elementwise math, linear algebra and reductions. Op codes mirror the enums in bgn.h.
public partial class Tensor
{
    internal enum Unary { Neg, Exp, Log, Sqrt, Rsqrt, Abs, Relu, Tanh, Sigmoid, Sign, Floor, Ceil, Round, Square, Reciprocal, IsNan, IsFinite, LogicalNot, Sin, Cos, Log1p, Expm1 }
    internal enum Binary { Add, Sub, Mul, Div, Pow, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, Matmul, Mm, Bmm, LogicalAnd, LogicalOr, Remainder, RSub, RDiv, Copy, Fill }
    internal enum Reduce { Sum, Mean, Amax, Amin, Prod, LogSumExp, Any, All }

    private Tensor Un(Unary op)
    {
        Check(N.bgn_unary((int)op, Handle, out var h));
        return new Tensor(h);
    }

    private Tensor Un_(Unary op)
    {
        Check(N.bgn_unary_((int)op, Handle));
        return this;
    }

    internal Tensor Bin(Binary op, Tensor other, double alpha = 1)
    {
        Check(N.bgn_binary((int)op, Handle, other.Handle, alpha, out var h));
        return new Tensor(h);
    }

    internal Tensor Bin(Binary op, double s)
    {
        Check(N.bgn_binary_scalar((int)op, Handle, s, out var h));
        return new Tensor(h);
    }

    private Tensor Bin_(Binary op, Tensor other, double alpha = 1)
    {
        Check(N.bgn_binary_((int)op, Handle, other.Handle, alpha));
        return this;
    }

    private Tensor Bin_(Binary op, double s)
    {
        Check(N.bgn_binary_scalar_((int)op, Handle, s));
        return this;
    }

    // ---- unary ----
    public Tensor neg() => Un(Unary.Neg);
    public Tensor exp() => Un(Unary.Exp);
    public Tensor log() => Un(Unary.Log);
    public Tensor sqrt() => Un(Unary.Sqrt);
    public Tensor rsqrt() => Un(Unary.Rsqrt);
    public Tensor abs() => Un(Unary.Abs);
    public Tensor relu() => Un(Unary.Relu);
    public Tensor tanh() => Un(Unary.Tanh);
    public Tensor sigmoid() => Un(Unary.Sigmoid);
    public Tensor sign() => Un(Unary.Sign);
    public Tensor floor() => Un(Unary.Floor);
    public Tensor ceil() => Un(Unary.Ceil);
    public Tensor round() => Un(Unary.Round);
    public Tensor square() => Un(Unary.Square);
    public Tensor reciprocal() => Un(Unary.Reciprocal);
    public Tensor isnan() => Un(Unary.IsNan);
    public Tensor isfinite() => Un(Unary.IsFinite);
    public Tensor logical_not() => Un(Unary.LogicalNot);
    public Tensor sin() => Un(Unary.Sin);
    public Tensor cos() => Un(Unary.Cos);
    public Tensor log1p() => Un(Unary.Log1p);
    public Tensor expm1() => Un(Unary.Expm1);

    public Tensor neg_() => Un_(Unary.Neg);
    public Tensor exp_() => Un_(Unary.Exp);
    public Tensor sqrt_() => Un_(Unary.Sqrt);
    public Tensor abs_() => Un_(Unary.Abs);
    public Tensor relu_() => Un_(Unary.Relu);
    public Tensor tanh_() => Un_(Unary.Tanh);
    public Tensor round_() => Un_(Unary.Round);

    public Tensor softplus(double beta = 1, double threshold = 20)
    {
        Check(N.bgn_softplus(Handle, beta, threshold, out var h));
        return new Tensor(h);
    }

    public Tensor clamp(double? min = null, double? max = null)
    {
        Check(N.bgn_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, 0, out var h));
        return new Tensor(h);
    }

    public Tensor clamp_(double? min = null, double? max = null)
    {
        Check(N.bgn_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, 1, out var h));
        h.Dispose();
        return this;
    }

    // ---- binary ----
    public Tensor add(Tensor other, double alpha = 1) => Bin(Binary.Add, other, alpha);
    public Tensor add(double s) => Bin(Binary.Add, s);
    public Tensor sub(Tensor other, double alpha = 1) => Bin(Binary.Sub, other, alpha);
    public Tensor sub(double s) => Bin(Binary.Sub, s);
    public Tensor mul(Tensor other) => Bin(Binary.Mul, other);
    public Tensor mul(double s) => Bin(Binary.Mul, s);
    public Tensor div(Tensor other) => Bin(Binary.Div, other);
    public Tensor div(double s) => Bin(Binary.Div, s);
    public Tensor pow(Tensor exponent) => Bin(Binary.Pow, exponent);
    public Tensor pow(double exponent) => Bin(Binary.Pow, exponent);
    public Tensor remainder(double s) => Bin(Binary.Remainder, s);
    public Tensor maximum(Tensor other) => Bin(Binary.Maximum, other);
    public Tensor minimum(Tensor other) => Bin(Binary.Minimum, other);
    public Tensor matmul(Tensor other) => Bin(Binary.Matmul, other);
    public Tensor mm(Tensor other) => Bin(Binary.Mm, other);
    public Tensor bmm(Tensor other) => Bin(Binary.Bmm, other);
    public Tensor logical_and(Tensor other) => Bin(Binary.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Bin(Binary.LogicalOr, other);

    public Tensor eq(Tensor other) => Bin(Binary.Eq, other);
    public Tensor eq(double s) => Bin(Binary.Eq, s);
    public Tensor ne(Tensor other) => Bin(Binary.Ne, other);
    public Tensor ne(double s) => Bin(Binary.Ne, s);
    public Tensor lt(Tensor other) => Bin(Binary.Lt, other);
    public Tensor lt(double s) => Bin(Binary.Lt, s);
    public Tensor le(Tensor other) => Bin(Binary.Le, other);
    public Tensor le(double s) => Bin(Binary.Le, s);
    public Tensor gt(Tensor other) => Bin(Binary.Gt, other);
    public Tensor gt(double s) => Bin(Binary.Gt, s);
    public Tensor ge(Tensor other) => Bin(Binary.Ge, other);
    public Tensor ge(double s) => Bin(Binary.Ge, s);

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double s) => a.add(s);
    public static Tensor operator +(double s, Tensor a) => a.add(s);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double s) => a.sub(s);
    public static Tensor operator -(double s, Tensor a) => a.Bin(Binary.RSub, s);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double s) => a.mul(s);
    public static Tensor operator *(double s, Tensor a) => a.mul(s);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double s) => a.div(s);
    public static Tensor operator /(double s, Tensor a) => a.Bin(Binary.RDiv, s);

    // ---- in place (optimizers, EMA, init) ----
    public Tensor add_(Tensor other, double alpha = 1) => Bin_(Binary.Add, other, alpha);
    public Tensor add_(double s) => Bin_(Binary.Add, s);
    public Tensor sub_(Tensor other, double alpha = 1) => Bin_(Binary.Sub, other, alpha);
    public Tensor sub_(double s) => Bin_(Binary.Sub, s);
    public Tensor mul_(Tensor other) => Bin_(Binary.Mul, other);
    public Tensor mul_(double s) => Bin_(Binary.Mul, s);
    public Tensor div_(Tensor other) => Bin_(Binary.Div, other);
    public Tensor div_(double s) => Bin_(Binary.Div, s);
    public Tensor pow_(double s) => Bin_(Binary.Pow, s);
    public Tensor copy_(Tensor source) => Bin_(Binary.Copy, source);
    public Tensor fill_(double value) => Bin_(Binary.Fill, value);
    public Tensor zero_() => Bin_(Binary.Fill, 0);

    public Tensor addcmul_(Tensor t1, Tensor t2, double value = 1)
    {
        Check(N.bgn_addcmul_(Handle, t1.Handle, t2.Handle, value));
        return this;
    }

    public Tensor addcdiv_(Tensor t1, Tensor t2, double value = 1)
    {
        Check(N.bgn_addcdiv_(Handle, t1.Handle, t2.Handle, value));
        return this;
    }

    /// <summary>this += weight * (end - this).</summary>
    public Tensor lerp_(Tensor end, double weight)
    {
        Check(N.bgn_lerp_(Handle, end.Handle, weight));
        return this;
    }

    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Check(N.bgn_normal_(Handle, mean, std, Generator.HandleOf(generator)));
        return this;
    }

    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Check(N.bgn_uniform_(Handle, from, to, Generator.HandleOf(generator)));
        return this;
    }

    // ---- reductions ----
    private unsafe Tensor Red(Reduce op, long[]? dims, bool keepdim)
    {
        dims ??= [];
        TensorHandle h;
        fixed (long* p = dims) Check(N.bgn_reduce((int)op, Handle, p, dims.Length, keepdim ? 1 : 0, out h));
        return new Tensor(h);
    }

    public Tensor sum() => Red(Reduce.Sum, null, false);
    public Tensor sum(long dim, bool keepdim = false) => Red(Reduce.Sum, [dim], keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => Red(Reduce.Sum, dims, keepdim);
    public Tensor mean() => Red(Reduce.Mean, null, false);
    public Tensor mean(long dim, bool keepdim = false) => Red(Reduce.Mean, [dim], keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => Red(Reduce.Mean, dims, keepdim);
    public Tensor prod() => Red(Reduce.Prod, null, false);
    public Tensor logsumexp(long dim, bool keepdim = false) => Red(Reduce.LogSumExp, [dim], keepdim);
    public Tensor any() => Red(Reduce.Any, null, false);
    public Tensor all() => Red(Reduce.All, null, false);

    /// <summary>The largest element.</summary>
    public Tensor max() => Red(Reduce.Amax, null, false);
    public Tensor min() => Red(Reduce.Amin, null, false);
    public Tensor amax(long[] dims, bool keepdim = false) => Red(Reduce.Amax, dims, keepdim);
    public Tensor amin(long[] dims, bool keepdim = false) => Red(Reduce.Amin, dims, keepdim);

    /// <summary>Largest values along a dimension and their indices.</summary>
    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false) => MaxDim(true, dim, keepdim);
    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false) => MaxDim(false, dim, keepdim);

    private (Tensor, Tensor) MaxDim(bool isMax, long dim, bool keepdim)
    {
        Check(N.bgn_max_dim(Handle, isMax ? 1 : 0, dim, keepdim ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax(long? dim = null, bool keepdim = false) => ArgExt(true, dim, keepdim);
    public Tensor argmin(long? dim = null, bool keepdim = false) => ArgExt(false, dim, keepdim);

    private Tensor ArgExt(bool isMax, long? dim, bool keepdim)
    {
        Check(N.bgn_argmax(Handle, isMax ? 1 : 0, dim.HasValue ? 1 : 0, dim ?? 0, keepdim ? 1 : 0, out var h));
        return new Tensor(h);
    }

    /// <summary>Variance with the given correction (1 = unbiased, as PyTorch's default).</summary>
    public Tensor var(long[]? dims = null, long correction = 1, bool keepdim = false) => VarStd(dims, correction, keepdim, false);
    public Tensor var(long dim, long correction = 1, bool keepdim = false) => VarStd([dim], correction, keepdim, false);
    public Tensor std(long[]? dims = null, long correction = 1, bool keepdim = false) => VarStd(dims, correction, keepdim, true);

    private unsafe Tensor VarStd(long[]? dims, long correction, bool keepdim, bool sqrt)
    {
        dims ??= [];
        TensorHandle h;
        fixed (long* p = dims) Check(N.bgn_var(Handle, p, dims.Length, correction, keepdim ? 1 : 0, sqrt ? 1 : 0, out h));
        return new Tensor(h);
    }

    /// <summary>The p-norm over the given dimensions (all when null).</summary>
    public unsafe Tensor norm(double p = 2, long[]? dims = null, bool keepdim = false)
    {
        dims ??= [];
        TensorHandle h;
        fixed (long* d = dims) Check(N.bgn_norm(Handle, p, d, dims.Length, keepdim ? 1 : 0, out h));
        return new Tensor(h);
    }
}
