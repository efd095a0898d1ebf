using static BigGan.Torch.Tests.TestUtil;
using Fn = BigGan.Torch.torch.nn.functional;

namespace BigGan.Torch.Tests;

/// <summary>torch.nn.functional against naive C# loops (conv, pooling, batch norm) and pasted PyTorch values.</summary>
[TestClass]
public sealed class NnFunctionalTests
{
    private static double[] Irregular(int n, int seed) => Enumerable.Range(0, n).Select(i => Math.Round(Math.Sin(i * 1.3 + seed) * 2, 4)).ToArray();

    [TestMethod]
    public void LinearWithAndWithoutBias()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2, 3, -1, 0, 2], 2, 3);
        var w = D([1, 0, 0, 0, 1, 0, 1, 1, 1, 2, -1, 0.5], 4, 3);
        var b = D([0.5, -0.5, 0, 1]);
        // y = x w^T + b
        Close([1.5, 1.5, 6, 2.5, -0.5, -0.5, 1, 0], [2, 4], Fn.linear(x, w, b));
        Close([1, 2, 6, 1.5, -1, 0, 1, -1], [2, 4], Fn.linear(x, w));
        Close([1, 2, 6, 1.5], [4], Fn.linear(D([1, 2, 3]), w), what: "1-d input");
        Assert.ThrowsExactly<TorchException>(() => Fn.linear(x, D([1, 2], 1, 2)));
    }

    /// <summary>Direct convolution: out[n,o,y,x] = b[o] + sum w[o,c,i,j] * in[n, g*Cg + c, y*s - p + i*d, x*s - p + j*d].</summary>
    private static double[] NaiveConv(double[] input, long[] ishape, double[] w, long[] wshape, double[]? bias,
        (int h, int w) s, (int h, int w) p, (int h, int w) d, int groups, out long[] oshape)
    {
        int N = (int)ishape[0], C = (int)ishape[1], H = (int)ishape[2], W = (int)ishape[3];
        int O = (int)wshape[0], Cg = (int)wshape[1], KH = (int)wshape[2], KW = (int)wshape[3];
        int OH = (H + 2 * p.h - d.h * (KH - 1) - 1) / s.h + 1, OW = (W + 2 * p.w - d.w * (KW - 1) - 1) / s.w + 1;
        int Og = O / groups;
        Assert.AreEqual(C, Cg * groups);
        oshape = [N, O, OH, OW];
        var r = new double[N * O * OH * OW];
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++)
                for (int y = 0; y < OH; y++)
                    for (int x = 0; x < OW; x++)
                    {
                        double acc = bias?[o] ?? 0;
                        int g = o / Og;
                        for (int c = 0; c < Cg; c++)
                            for (int i = 0; i < KH; i++)
                                for (int j = 0; j < KW; j++)
                                {
                                    int iy = y * s.h - p.h + i * d.h, ix = x * s.w - p.w + j * d.w;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                    acc += w[((o * Cg + c) * KH + i) * KW + j] * input[((n * C + g * Cg + c) * H + iy) * W + ix];
                                }
                        r[((n * O + o) * OH + y) * OW + x] = acc;
                    }
        return r;
    }

    [TestMethod]
    public void Conv2dStridePaddingDilationGroups()
    {
        using var scope = NewDisposeScope();
        long[] ishape = [2, 4, 7, 6];
        var inp = Irregular(2 * 4 * 7 * 6, 1);
        var x = D(inp, ishape);
        foreach (var (s, p, d, g, withBias) in new[]
                 {
                     ((1, 1), (0, 0), (1, 1), 1, false), ((1, 1), (1, 1), (1, 1), 1, true), ((2, 2), (1, 1), (1, 1), 1, true),
                     ((1, 1), (2, 2), (2, 2), 1, false), ((1, 1), (1, 1), (1, 1), 2, true), ((2, 1), (0, 1), (1, 2), 4, true),
                     ((1, 2), (1, 0), (2, 1), 2, false),
                 })
        {
            long[] wshape = [4, 4 / g, 3, 3];
            var wv = Irregular((int)(wshape[0] * wshape[1] * 9), 2);
            var bv = withBias ? new double[] { 0.5, -1, 2, 0.25 } : null;
            var expected = NaiveConv(inp, ishape, wv, wshape, bv, s, p, d, g, out var oshape);
            var w = D(wv, wshape);
            var b = bv is null ? null : D(bv);
            var what = $"stride {s} padding {p} dilation {d} groups {g} bias {withBias}";
            var y = s.Item1 == s.Item2 && p.Item1 == p.Item2 && d.Item1 == d.Item2
                ? Fn.conv2d(x, w, b, stride: s.Item1, padding: p.Item1, dilation: d.Item1, groups: g)
                : Fn.conv2d(x, w, b, s, p, d, g);
            Close(expected, oshape, y, 1e-12, what);
        }
    }

    [TestMethod]
    public void Conv2dRejectsBadArguments()
    {
        using var scope = NewDisposeScope();
        var x = zeros([1, 4, 5, 5]);
        Assert.ThrowsExactly<TorchException>(() => Fn.conv2d(x, zeros([2, 3, 3, 3])), "channel mismatch");
        Assert.ThrowsExactly<ArgumentException>(() => Fn.conv2d(zeros([4, 5, 5]), zeros([2, 4, 3, 3])), "3-d input");
        Assert.ThrowsExactly<ArgumentException>(() => Fn.conv2d(x, zeros([2, 4, 3, 3]), groups: 0));
        Assert.ThrowsExactly<TorchException>(() => Fn.conv2d(x, zeros([3, 2, 3, 3]), groups: 2), "out channels not divisible by groups");
    }

    [TestMethod]
    public void BatchNormTrainingUsesBatchStatsAndUpdatesRunningStats()
    {
        using var scope = NewDisposeScope();
        const int N = 3, C = 2, HW = 4;
        var xv = Irregular(N * C * HW, 3);
        var x = D(xv, N, C, 2, 2);
        var w = D([1.5, -0.5]);
        var b = D([0.25, 2]);
        var rm = D([0.1, -0.2]);
        var rv = D([1.2, 0.8]);
        const double momentum = 0.3, eps = 1e-3;
        var y = Fn.batch_norm(x, rm, rv, w, b, training: true, momentum: momentum, eps: eps);

        var expected = new double[xv.Length];
        var mean = new double[C];
        var biased = new double[C];
        for (int c = 0; c < C; c++)
        {
            var vals = Enumerable.Range(0, N).SelectMany(n => Enumerable.Range(0, HW).Select(i => xv[(n * C + c) * HW + i])).ToArray();
            mean[c] = vals.Average();
            biased[c] = vals.Sum(v => (v - mean[c]) * (v - mean[c])) / vals.Length;
            for (int n = 0; n < N; n++)
                for (int i = 0; i < HW; i++)
                {
                    int k = (n * C + c) * HW + i;
                    expected[k] = (xv[k] - mean[c]) / Math.Sqrt(biased[c] + eps) * new[] { 1.5, -0.5 }[c] + new[] { 0.25, 2 }[c];
                }
        }
        Close(expected, [N, C, 2, 2], y, 1e-12, "normalised with the biased batch variance");
        const int M = N * HW;
        Close([0.7 * 0.1 + 0.3 * mean[0], 0.7 * -0.2 + 0.3 * mean[1]], rm, 1e-12, "running_mean");
        Close([0.7 * 1.2 + 0.3 * biased[0] * M / (M - 1), 0.7 * 0.8 + 0.3 * biased[1] * M / (M - 1)], rv, 1e-12, "running_var uses the unbiased variance");

        // Without weight and bias, and without running stats (allowed in training mode).
        var plain = Fn.batch_norm(x, null, null, training: true, eps: eps);
        Close(expected.Select((v, k) => { int c = k / HW % C; return (v - new[] { 0.25, 2 }[c]) / new[] { 1.5, -0.5 }[c]; }).ToArray(), plain, 1e-10);
    }

    [TestMethod]
    public void BatchNormEvalUsesRunningStatsAndLeavesThemAlone()
    {
        using var scope = NewDisposeScope();
        var x = D([1, 2, 3, 4, 5, 6, 7, 8], 2, 2, 2);
        var rm = D([1, -1]);
        var rv = D([4, 0.25]);
        var y = Fn.batch_norm(x, rm, rv, D([2, 1]), D([0, 10]), training: false, eps: 0);
        // (x - rm) / sqrt(rv) * w + b per channel (channel = dim 1)
        Close([0, 1, 18, 20, 4, 5, 26, 28], [2, 2, 2], y, 1e-12);
        Equal(new double[] { 1, -1 }, rm);
        Equal(new double[] { 4, 0.25 }, rv);
        Assert.ThrowsExactly<ArgumentException>(() => Fn.batch_norm(x, null, null, training: false));
        Assert.ThrowsExactly<ArgumentException>(() => Fn.batch_norm(zeros([1, 3]), null, null, training: true), "one value per channel");
    }

    [TestMethod]
    public void Embedding()
    {
        using var scope = NewDisposeScope();
        var w = Seq(float64, 5, 3);
        var e = Fn.embedding(L([1, 4, 0, 1], 2, 2), w);
        Close([3, 4, 5, 12, 13, 14, 0, 1, 2, 3, 4, 5], [2, 2, 3], e);
    }

    private static double[] NaivePool(double[] x, int H, int W, int k, int s, int p, bool isMax, out int OH, out int OW)
    {
        OH = (H + 2 * p - k) / s + 1;
        OW = (W + 2 * p - k) / s + 1;
        var r = new double[OH * OW];
        for (int y = 0; y < OH; y++)
            for (int xx = 0; xx < OW; xx++)
            {
                double acc = isMax ? double.NegativeInfinity : 0;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                    {
                        int iy = y * s - p + i, ix = xx * s - p + j;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue; // padding: -inf for max, 0 (counted) for avg
                        acc = isMax ? Math.Max(acc, x[iy * W + ix]) : acc + x[iy * W + ix];
                    }
                r[y * OW + xx] = isMax ? acc : acc / (k * k);
            }
        return r;
    }

    [TestMethod]
    public void MaxAndAvgPool()
    {
        using var scope = NewDisposeScope();
        var v = Irregular(7 * 6, 4);
        var x = D(v, 1, 1, 7, 6);
        foreach (var (k, s, p) in new[] { (2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (3, 3, 0) })
        {
            var em = NaivePool(v, 7, 6, k, s, p, true, out var oh, out var ow);
            Close(em, [1, 1, oh, ow], Fn.max_pool2d(x, k, s, p), 0, $"max k{k} s{s} p{p}");
            var ea = NaivePool(v, 7, 6, k, s, p, false, out oh, out ow);
            Close(ea, [1, 1, oh, ow], Fn.avg_pool2d(x, k, s, p), 1e-12, $"avg k{k} s{s} p{p}");
        }
        Shape([1, 1, 3, 3], Fn.max_pool2d(x, 2), "stride defaults to the kernel size");

        var sixteen = arange(1, 17, 1, float32).reshape(1, 1, 4, 4);
        // F.max_pool2d(torch.arange(1., 17.).reshape(1,1,4,4) * torch.tensor([1.,-1.]).repeat(8).reshape(1,1,4,4), 3, 2, 1)
        var alternating = sixteen * F([1, -1]).repeat(8).reshape(1, 1, 4, 4);
        Close([5, 7, 13, 15], [1, 1, 2, 2], Fn.max_pool2d(alternating, 3, 2, 1));
        // F.avg_pool2d(x, 3, 2, 1) (count_include_pad=True) and F.avg_pool2d(x, 2)
        Close([1.55555558, 3.33333325, 6.33333349, 11], [1, 1, 2, 2], Fn.avg_pool2d(sixteen, 3, 2, 1));
        Close([3.5, 5.5, 11.5, 13.5], [1, 1, 2, 2], Fn.avg_pool2d(sixteen, 2));
    }

    [TestMethod]
    public void InterpolateNearest()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 1, 1, 2, 3);
        Close([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5], [1, 1, 4, 6], Fn.interpolate(x, scale_factor: 2));
        Close([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5], [1, 1, 4, 6], Fn.interpolate(x, size: (4, 6)));
        // F.interpolate(torch.arange(9.).reshape(1,1,3,3), size=(5,4), mode="nearest")
        Close([0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 3, 3, 4, 5, 6, 6, 7, 8], [1, 1, 5, 4], Fn.interpolate(Seq(float32, 1, 1, 3, 3), size: (5, 4)));
        Close([0, 2, 8, 10], [1, 1, 2, 2], Fn.interpolate(Seq(float32, 1, 1, 4, 4), scale_factor: 0.5), 0, "downsampling picks floor(i * in / out)");
        Assert.ThrowsExactly<ArgumentException>(() => Fn.interpolate(x, size: (4, 6), mode: "bilinear"));
        Assert.ThrowsExactly<ArgumentException>(() => Fn.interpolate(x));
        Assert.ThrowsExactly<ArgumentException>(() => Fn.interpolate(x, size: (4, 6), scale_factor: 2));
        Assert.ThrowsExactly<ArgumentException>(() => Fn.interpolate(Seq(float32, 2, 3), scale_factor: 2));
    }

    [TestMethod]
    public void SoftmaxAndLogSoftmaxOverEachDim()
    {
        using var scope = NewDisposeScope();
        var v = Irregular(24, 5);
        var x = D(v, 2, 3, 4);
        for (int dim = -3; dim < 3; dim++)
        {
            int d = (dim + 3) % 3;
            long[] strides = [12, 4, 1];
            long[] shape = [2, 3, 4];
            var expected = new double[24];
            for (int i = 0; i < 24; i++)
            {
                long pos = i / strides[d] % shape[d];
                long start = i - pos * strides[d];
                var group = Enumerable.Range(0, (int)shape[d]).Select(k => v[start + k * strides[d]]).ToArray();
                var m = group.Max();
                expected[i] = Math.Exp(v[i] - m) / group.Sum(g => Math.Exp(g - m));
            }
            Close(expected, [2, 3, 4], Fn.softmax(x, dim), 1e-12, $"softmax dim {dim}");
            Close(expected.Select(e => Math.Log(e)).ToArray(), [2, 3, 4], Fn.log_softmax(x, dim), 1e-12, $"log_softmax dim {dim}");
        }
        Close([0.5, 0.5], Fn.softmax(D([1000, 1000]), 0), 1e-12, "no overflow for large logits");
    }

    [TestMethod]
    public void CrossEntropyReductionsAndLabelSmoothing()
    {
        using var scope = NewDisposeScope();
        var logits = F([1, 2, 0.5f, 0.1f, -1, 3], 2, 3);
        var target = L([1, 2]);
        // logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]]); tgt = torch.tensor([1, 2])
        // F.cross_entropy(logits, tgt, reduction=...) and label_smoothing=0.2
        Close([0.267571509], [], Fn.cross_entropy(logits, target), 1e-6);
        Close([0.535143018], [], Fn.cross_entropy(logits, target, "sum"), 1e-6);
        Close([0.46436879, 0.0707742274], [2], Fn.cross_entropy(logits, target, "none"), 1e-6);
        Close([0.580904841], [], Fn.cross_entropy(logits, target, label_smoothing: 0.2), 1e-6);
        // and by hand: -log softmax(x)[t]
        double Ce(double[] row, int t) => -(row[t] - Math.Log(row.Sum(Math.Exp)));
        Close([Ce([1, 2, 0.5], 1), Ce([0.1, -1, 3], 2)], Fn.cross_entropy(D([1, 2, 0.5, 0.1, -1, 3], 2, 3), target, "none"), 1e-12);
        Assert.ThrowsExactly<ArgumentException>(() => Fn.cross_entropy(logits, target, "average"));
    }

    [TestMethod]
    public void MseLossAndOneHot()
    {
        using var scope = NewDisposeScope();
        Close([(0.25 + 4 + 0) / 3], [], Fn.mse_loss(D([1, 2, 3]), D([1.5, 0, 3])), 1e-12);
        Close([0, 1, 0, 1, 0, 0], [2, 3], Fn.one_hot(L([1, 0]), 3));
        Close([0.5, 1 / (1 + Math.Exp(-2))], Fn.sigmoid(D([0, 2])), 1e-12);
    }
}
