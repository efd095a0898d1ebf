using TorchSharp;
using BigGan.Training.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace BigGan.Training.Sampling;

/// <summary>
/// The eval-mode forward of a <see cref="Model.Generator"/> with its constants folded, for sampling. It computes the
/// same function as <c>generator.eval().forward</c> (to float rounding) with less work:
/// <list type="bullet">
/// <item>spectral norm: W/σ computed once per fold (<see cref="EvalWeights.NormalizedWeight"/>) instead of per forward;</item>
/// <item>batch norm: running statistics and the class gain/bias become one per-sample scale and shift
/// ((1 + gain)/√(var + ε), bias − mean · scale), applied together with the ReLU;</item>
/// <item>upsample + 3×3 conv: one 2×2 conv with four output phases (16 instead of 36 multiply-adds per output pixel),
/// interleaved into a channels-last tensor together with the next batch norm and ReLU;</item>
/// <item>the shortcut's upsample is a broadcast add of the low-resolution 1×1 conv, never materialised;</item>
/// <item>attention γ folded into its output conv; weights stored channels-last, as the activations.</item>
/// </list>
/// A fold is a snapshot of the generator's weights and statistics: refold after they change.
/// </summary>
internal sealed class FoldedGenerator : IDisposable
{
    private readonly Model.Generator _g;
    private readonly List<Tensor> _kept = new();
    private readonly Tensor _linearW;
    private readonly Tensor? _linearB, _shared;
    private readonly Block[] _blocks;
    private readonly Attention?[] _attention;
    private readonly Tensor _outScale, _outShift, _outW;
    private readonly Tensor? _outB;

    private sealed record Bn(Tensor Gain, Tensor Bias, Tensor InvStd, Tensor Mean, bool Linear);
    private sealed record Block(Bn Bn1, Tensor PhaseW, Tensor? PhaseB, Bn Bn2, Tensor Conv2W, Tensor? Conv2B, Tensor ScW, Tensor? ScB, long Out);
    private sealed record Attention(Tensor Theta, Tensor Phi, Tensor G, Tensor O, long C8, long C2);

    public FoldedGenerator(Model.Generator g)
    {
        _g = g;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            _linearW = Keep(EvalWeights.NormalizedWeight(g.linear));
            _linearB = KeepOrNull(g.linear.bias?.detach());
            _shared = KeepOrNull(g.shared?.weight.detach());
            _blocks = g.Blocks.Select(b => new Block(
                FoldBn(b.bn1), Keep(PhaseKernel(EvalWeights.NormalizedWeight(b.conv1))), KeepOrNull(b.conv1.bias?.detach().repeat(4)),
                FoldBn(b.bn2), Conv(b.conv2), KeepOrNull(b.conv2.bias?.detach()), Conv(b.conv_sc), KeepOrNull(b.conv_sc.bias?.detach()), b.OutChannels)).ToArray();
            _attention = g.Attention.Select(a => a is null ? null : new Attention(
                Conv(a.theta), Conv(a.phi), Conv(a.g), Keep(EvalWeights.NormalizedWeight(a.o).mul_(a.gamma.detach()).contiguous(MemoryFormat.ChannelsLast)),
                a.Channels / 8, a.Channels / 2)).ToArray();
            var bn = g.output_bn;
            var invStd = bn.stored_var.add(bn.Eps).rsqrt();
            var scale = bn.gain.detach().mul(invStd);
            _outScale = Keep(scale.view(1, -1));
            _outShift = Keep(bn.bias.detach().sub(bn.stored_mean.mul(scale)).view(1, -1));
            _outW = Conv(g.output_conv);
            _outB = KeepOrNull(g.output_conv.bias?.detach());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private Tensor Keep(Tensor t)
    {
        _kept.Add(t.DetachFromDisposeScope());
        return t;
    }

    private Tensor? KeepOrNull(Tensor? t) => t is null ? null : Keep(t);

    /// <summary>Images for latents z [N, DimZ] and a condition: int64 class ids [N] (<paramref name="embedded"/> false)
    /// or embedded class vectors [N, ConditionDim] (from Embed/EmbedSoft).</summary>
    public Tensor Forward(Tensor z, Tensor condition, bool embedded)
    {
        using var scope = NewDisposeScope();
        var config = _g.Config;
        // the class vector every cBN sees (tables: the ids themselves, or class weights when embedded)
        var y = _shared is not null && !embedded ? _shared.index_select(0, condition) : condition;
        Tensor h;
        Tensor[] conditions;
        if (config.Hierarchical)
        {
            var zs = z.split(_g.ZChunkSize, 1);
            h = F.linear(zs[0], _linearW, _linearB);
            conditions = new Tensor[_blocks.Length];
            for (int i = 0; i < _blocks.Length; i++) conditions[i] = cat([y, zs[i + 1]], 1);
        }
        else
        {
            h = F.linear(z, _linearW, _linearB);
            conditions = Enumerable.Repeat(y, _blocks.Length).ToArray();
        }
        h = h.view(-1, _blocks[0].PhaseW.shape[1], ArchitectureTable.BottomWidth, ArchitectureTable.BottomWidth).contiguous(MemoryFormat.ChannelsLast);
        for (int i = 0; i < _blocks.Length; i++)
        {
            h = RunBlock(h, conditions[i], _blocks[i]);
            if (_attention[i] is { } a) h = RunAttention(h, a);
        }
        var n = h.shape[0];
        h = ScaleShiftRelu(h, _outScale.expand(n, _outScale.shape[1]), _outShift.expand(n, _outShift.shape[1]));
        h = Convolution.Conv2d(h, _outW, _outB, padding: 1).tanh_();
        return h.contiguous().MoveToOuterDisposeScope();
    }

    private Tensor RunBlock(Tensor x, Tensor condition, Block b)
    {
        var (scale1, shift1) = ScaleShift(b.Bn1, condition);
        var h = ScaleShiftRelu(x, scale1, shift1);
        // conv3x3(upsample2x(h)) as one 2×2 conv producing the four output phases, interleaved together with bn2 + ReLU
        var phases = Convolution.Conv2d(h, b.PhaseW, b.PhaseB, padding: 1);
        var (scale2, shift2) = ScaleShift(b.Bn2, condition);
        h = PhaseScaleShiftRelu(phases, scale2, shift2);
        h = Convolution.Conv2d(h, b.Conv2W, b.Conv2B, padding: 1);
        var shortcut = Convolution.Conv2d(x, b.ScW, b.ScB);
        AddUpsampled(h, shortcut);
        return h;
    }

    // Per-sample [N, C] scale and shift of a conditional BN in eval mode: bn(x)·(1 + gain) + bias = x·scale + shift.
    private static (Tensor scale, Tensor shift) ScaleShift(Bn bn, Tensor condition)
    {
        Tensor gain, bias;
        if (bn.Linear)
        {
            gain = F.linear(condition, bn.Gain);
            bias = F.linear(condition, bn.Bias);
        }
        else if (condition.dtype.IsFloatingPoint())
        {
            gain = condition.mm(bn.Gain);
            bias = condition.mm(bn.Bias);
        }
        else
        {
            gain = bn.Gain.index_select(0, condition);
            bias = bn.Bias.index_select(0, condition);
        }
        var scale = gain.add_(1).mul_(bn.InvStd);
        var shift = bias.sub_(scale.mul(bn.Mean));
        return (scale.contiguous(), shift.contiguous());
    }

    // relu(x · scale + shift) for x [N, C, H, W] and per-sample scale, shift [N, C]: batch norm with the class gains
    // folded in; elementwise ops keep x's channels-last layout.
    private static Tensor ScaleShiftRelu(Tensor x, Tensor scale, Tensor shift)
    {
        long n = x.shape[0], c = x.shape[1];
        return addcmul(shift.view(n, c, 1, 1), x, scale.view(n, c, 1, 1), 1).relu_();
    }

    // y [N, 4C, H+1, W+1] holds the four output phases of conv3x3(upsample2x(x)) as one 2×2 conv with padding 1 computes
    // them (phase (a, b) in channels (2a + b)·C onwards, its H×W window starting at (a, b)). Returns
    // relu(phase · scale + shift) interleaved into a channels-last [N, C, 2H, 2W], phase (a, b) at pixels (2i + a, 2j + b).
    private static Tensor PhaseScaleShiftRelu(Tensor y, Tensor scale, Tensor shift)
    {
        long n = y.shape[0], c = y.shape[1] / 4, h = y.shape[2] - 1, w = y.shape[3] - 1;
        // One pass for the affine map (per-sample scale and shift repeated over the four phases), one for the ReLU, one
        // for the interleave: the activations at high resolution are large, so passes over memory are what costs.
        var activated = addcmul(shift.repeat(1, 4).view(n, 1, 1, 4 * c), y.permute(0, 2, 3, 1), scale.repeat(1, 4).view(n, 1, 1, 4 * c), 1).relu_();
        var interleaved = empty([n, h, 2, w, 2, c], dtype: y.dtype, device: y.device);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                interleaved.select(2, a).select(3, b).copy_(activated.narrow(1, a, h).narrow(2, b, w).narrow(3, (2 * a + b) * c, c));
        return interleaved.view(n, 2 * h, 2 * w, c).permute(0, 3, 1, 2);
    }

    // h [N, C, 2H, 2W] += nearest-upsampled shortcut [N, C, H, W], as a broadcast over the 2×2 copies.
    private static void AddUpsampled(Tensor h, Tensor shortcut)
    {
        var s = shortcut.shape;
        long n = s[0], c = s[1], hh = s[2], ww = s[3];
        if (h.is_contiguous(MemoryFormat.ChannelsLast) && shortcut.is_contiguous(MemoryFormat.ChannelsLast))
            h.permute(0, 2, 3, 1).view(n, hh, 2, ww, 2, c).add_(shortcut.permute(0, 2, 3, 1).view(n, hh, 1, ww, 1, c));
        else if (h.is_contiguous() && shortcut.is_contiguous())
            h.view(n, c, hh, 2, ww, 2).add_(shortcut.view(n, c, hh, 1, ww, 1));
        else
            h.add_(F.interpolate(shortcut, scale_factor: [2.0, 2.0]));
    }

    private static Tensor RunAttention(Tensor x, Attention a)
    {
        var s = x.shape;
        long n = s[0], h = s[2], w = s[3];
        var q = Convolution.Conv2d(x, a.Theta).view(n, a.C8, h * w);
        var k = F.max_pool2d(Convolution.Conv2d(x, a.Phi), [2, 2]).view(n, a.C8, -1);
        var v = F.max_pool2d(Convolution.Conv2d(x, a.G), [2, 2]).view(n, a.C2, -1);
        var beta = F.softmax(q.transpose(1, 2).bmm(k), -1);
        var attended = x.is_contiguous(MemoryFormat.ChannelsLast)
            ? beta.bmm(v.transpose(1, 2)).view(n, h, w, a.C2).permute(0, 3, 1, 2)
            : v.bmm(beta.transpose(1, 2)).view(n, a.C2, h, w);
        return Convolution.Conv2d(attended, a.O).add_(x);
    }

    private Bn FoldBn(ConditionalBatchNorm bn)
    {
        var invStd = Keep(bn.stored_var.add(bn.Eps).rsqrt());
        var mean = Keep(bn.stored_mean.detach());
        return bn.IsLinear
            ? new Bn(Keep(EvalWeights.NormalizedWeight((SNLinear)bn.Gain)), Keep(EvalWeights.NormalizedWeight((SNLinear)bn.Bias)), invStd, mean, true)
            : new Bn(Keep(((Model.Embedding)bn.Gain).weight.detach()), Keep(((Model.Embedding)bn.Bias).weight.detach()), invStd, mean, false);
    }

    private Tensor Conv(SNConv2d layer) => Keep(EvalWeights.NormalizedWeight(layer).contiguous(MemoryFormat.ChannelsLast));

    // The four 2×2 kernels of conv3x3(upsample2x(·)), stacked on the output channels in phase order (0,0), (0,1), (1,0),
    // (1,1): along each axis phase 0 reads (i−1, i) with taps (W0, W1 + W2) and phase 1 reads (i, i+1) with (W0 + W1, W2).
    private static Tensor PhaseKernel(Tensor w)
    {
        Tensor Tap(Tensor t, long dim, long i) => t.narrow(dim, i, 1);
        Tensor[] Phases(Tensor t, long dim) =>
        [
            cat([Tap(t, dim, 0), Tap(t, dim, 1).add(Tap(t, dim, 2))], dim),
            cat([Tap(t, dim, 0).add(Tap(t, dim, 1)), Tap(t, dim, 2)], dim),
        ];
        var kernels = new List<Tensor>();
        foreach (var rows in Phases(w, 2))
            kernels.AddRange(Phases(rows, 3));
        return cat(kernels, 0).contiguous(MemoryFormat.ChannelsLast);
    }

    public void Dispose()
    {
        foreach (var t in _kept) t.Dispose();
        _kept.Clear();
    }
}
