using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// BigGAN-deep generator block (a bottleneck with channel ratio 4, as BigGANdeep.py): cBN, ReLU, 1×1 conv in →
/// in/4; cBN, ReLU; optional 2× nearest upsample; 3×3 conv; cBN, ReLU, 3×3 conv; cBN, ReLU, 1×1 conv → out. The
/// shortcut keeps the first <c>out</c> channels when out &lt; in, then upsamples; it has no parameters. All four cBNs
/// get the same conditioning. The upsample and the first 3×3 conv run as one exact phase-conv op.
/// </summary>
public sealed class DeepGBlock : ExplicitModule
{
    public DeepGBlock(long inChannels, long outChannels, bool upsample, Func<long, ConditionalBatchNorm> batchNorm,
        SpectralNormOptions sn = default, Rng? rng = null) : base(nameof(DeepGBlock))
    {
        if (outChannels > inChannels)
            throw new ArgumentException($"a deep G block cannot widen its shortcut: out {outChannels} > in {inChannels}", nameof(outChannels));
        var hidden = inChannels / 4;
        if (hidden < 1) throw new ArgumentException($"a deep G block needs at least 4 input channels (hidden = in / 4), got {inChannels}", nameof(inChannels));
        InChannels = inChannels;
        OutChannels = outChannels;
        Upsample = upsample;
        conv1 = this.RegisterModule("conv1", new SNConv2d(inChannels, hidden, 1, 0, true, sn, rng));
        conv2 = this.RegisterModule("conv2", new SNConv2d(hidden, hidden, 3, 1, true, sn, rng));
        conv3 = this.RegisterModule("conv3", new SNConv2d(hidden, hidden, 3, 1, true, sn, rng));
        conv4 = this.RegisterModule("conv4", new SNConv2d(hidden, outChannels, 1, 0, true, sn, rng));
        bn1 = this.RegisterModule("bn1", batchNorm(inChannels));
        bn2 = this.RegisterModule("bn2", batchNorm(hidden));
        bn3 = this.RegisterModule("bn3", batchNorm(hidden));
        bn4 = this.RegisterModule("bn4", batchNorm(hidden));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public bool Upsample { get; }
    public SNConv2d conv1 { get; }
    public SNConv2d conv2 { get; }
    public SNConv2d conv3 { get; }
    public SNConv2d conv4 { get; }
    public ConditionalBatchNorm bn1 { get; }
    public ConditionalBatchNorm bn2 { get; }
    public ConditionalBatchNorm bn3 { get; }
    public ConditionalBatchNorm bn4 { get; }

    public Tensor forward(Tensor x, Tensor condition)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(bn1.forward(x, condition).relu_());
        h = bn2.forward(h, condition).relu_();
        var shortcut = OutChannels < InChannels ? x.narrow(1, 0, OutChannels) : x;
        if (Upsample)
        {
            h = conv2.ForwardUpsampled(h);
            shortcut = nn.functional.interpolate(shortcut, scale_factor: [2.0, 2.0]);
        }
        else
        {
            h = conv2.forward(h);
        }
        h = conv3.forward(bn3.forward(h, condition).relu_());
        h = conv4.forward(bn4.forward(h, condition).relu_());
        return h.add_(shortcut).MoveToOuterDisposeScope();
    }
}
