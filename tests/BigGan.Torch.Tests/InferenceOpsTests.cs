using F = BigGan.Torch.torch.nn.functional;

namespace BigGan.Torch.Tests;

/// <summary>torch.nn.inference: single-pass scale/shift/ReLU and phase interleaving, against the plain op sequence.</summary>
[TestClass]
public sealed class InferenceOpsTests
{
    private static float MaxDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.sub(b).abs().max().item<float>();
    }

    [TestMethod]
    public void ScaleShiftReluMatchesMulAddRelu()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var x = randn([3, 5, 4, 6], generator: g);
        var scale = randn([3, 5], generator: g);
        var shift = randn([3, 5], generator: g);
        var expected = x.mul(scale.view(3, 5, 1, 1)).add(shift.view(3, 5, 1, 1)).relu();
        var plain = nn.inference.scale_shift_relu(x, scale, shift);
        Assert.IsTrue(MaxDiff(expected, plain) <= 1e-6f);
        Assert.IsTrue(plain.is_contiguous());
        var cl = nn.inference.scale_shift_relu(x.contiguous(MemoryFormat.ChannelsLast), scale, shift);
        Assert.IsTrue(cl.is_contiguous(MemoryFormat.ChannelsLast), "channels-last in, channels-last out");
        Assert.IsTrue(MaxDiff(expected, cl) <= 1e-6f);
        var strided = nn.inference.scale_shift_relu(x.transpose(2, 3), scale, shift); // neither layout: computed on a copy
        Assert.IsTrue(MaxDiff(expected.transpose(2, 3), strided) <= 1e-6f);
    }

    // conv3x3(upsample2x(x)) = interleave of the four phase 2×2 convs; the op interleaves them with bn + ReLU.
    [TestMethod]
    public void PhaseInterleaveMatchesUpsampleConvThenScaleShiftRelu()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        long n = 2, ci = 3, co = 4, h = 3, w = 5;
        var x = randn([n, ci, h, w], generator: g);
        var weight = randn([co, ci, 3, 3], generator: g);
        var bias = randn([co], generator: g);
        var scale = randn([n, co], generator: g);
        var shift = randn([n, co], generator: g);
        var expected = F.conv2d(F.interpolate(x, scale_factor: 2), weight, bias, 1, 1)
            .mul(scale.view(n, co, 1, 1)).add(shift.view(n, co, 1, 1)).relu();

        // the four 2×2 phase kernels: along each axis phase 0 has taps (W0, W1 + W2), phase 1 (W0 + W1, W2)
        Tensor Tap(Tensor t, long dim, long i) => t.narrow(dim, i, 1);
        Tensor[] Phases(Tensor t, long dim) =>
            [cat([Tap(t, dim, 0), Tap(t, dim, 1).add(Tap(t, dim, 2))], dim), cat([Tap(t, dim, 0).add(Tap(t, dim, 1)), Tap(t, dim, 2)], dim)];
        var kernels = Phases(weight, 2).SelectMany(r => Phases(r, 3)).ToArray();
        var phases = F.conv2d(x, cat(kernels, 0), bias.repeat(4), 1, 1);
        CollectionAssert.AreEqual(new long[] { n, 4 * co, h + 1, w + 1 }, phases.shape);

        foreach (var input in new[] { phases, phases.contiguous(MemoryFormat.ChannelsLast) })
        {
            var got = nn.inference.phase_scale_shift_relu(input, scale, shift);
            CollectionAssert.AreEqual(new long[] { n, co, 2 * h, 2 * w }, got.shape);
            Assert.IsTrue(got.is_contiguous(MemoryFormat.ChannelsLast));
            Assert.IsTrue(MaxDiff(expected, got) <= 1e-5f, $"{MaxDiff(expected, got)}");
        }
    }

    [TestMethod]
    public void BadInputIsAnError()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 3, 4, 4);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => nn.inference.scale_shift_relu(x, zeros(2, 4), zeros(2, 3)));
        StringAssert.Contains(ex.Message, "scale must be float32 [2, 3]");
        Assert.ThrowsExactly<ArgumentException>(() => nn.inference.scale_shift_relu(zeros(2, 3), zeros(2, 3), zeros(2, 3)));
        Assert.ThrowsExactly<ArgumentException>(() => nn.inference.scale_shift_relu(x.to(ScalarType.Float64), zeros(2, 3), zeros(2, 3)));
        Assert.ThrowsExactly<ArgumentException>(() => nn.inference.phase_scale_shift_relu(zeros(2, 6, 4, 4), zeros(2, 1), zeros(2, 1)));
        Assert.ThrowsExactly<ArgumentException>(() => nn.inference.phase_scale_shift_relu(zeros(2, 8, 1, 4), zeros(2, 2), zeros(2, 2)));
    }
}
