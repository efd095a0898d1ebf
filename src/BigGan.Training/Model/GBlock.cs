using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// Generator residual block (every BigGAN G block upsamples): main path cBN, ReLU, 2× nearest upsample, 3×3 SN conv,
/// cBN, ReLU, 3×3 SN conv; shortcut upsampled and passed through a 1×1 SN conv. Both cBNs get the same conditioning.
/// Two exact rewrites cut the cost without changing the function: the upsample and the first 3×3 conv run as four
/// 2×2 phase convs on the low-resolution input (<see cref="SNConv2d.ForwardUpsampled"/>), and the shortcut applies
/// its 1×1 conv before the upsample (nearest upsampling copies pixels, a 1×1 conv acts per pixel).
/// </summary>
public sealed class GBlock : ExplicitModule
{
    public GBlock(long inChannels, long outChannels, Func<long, ConditionalBatchNorm> batchNorm, SpectralNormOptions sn = default, Rng? rng = null) : base(nameof(GBlock))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        conv1 = this.RegisterModule("conv1", new SNConv2d(inChannels, outChannels, 3, 1, true, sn, rng));
        conv2 = this.RegisterModule("conv2", new SNConv2d(outChannels, outChannels, 3, 1, true, sn, rng));
        conv_sc = this.RegisterModule("conv_sc", new SNConv2d(inChannels, outChannels, 1, 0, true, sn, rng));
        bn1 = this.RegisterModule("bn1", batchNorm(inChannels));
        bn2 = this.RegisterModule("bn2", batchNorm(outChannels));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public SNConv2d conv1 { get; }
    public SNConv2d conv2 { get; }
    public SNConv2d conv_sc { get; }
    public ConditionalBatchNorm bn1 { get; }
    public ConditionalBatchNorm bn2 { get; }

    /// <param name="x">[N, in, H, W].</param>
    /// <param name="condition">What both cBNs take (see <see cref="ConditionalBatchNorm.forward"/>).</param>
    /// <returns>[N, out, 2H, 2W].</returns>
    public Tensor forward(Tensor x, Tensor condition)
    {
        using var scope = NewDisposeScope();
        var h = bn1.forward(x, condition).relu_();
        h = conv1.ForwardUpsampled(h);
        h = bn2.forward(h, condition).relu_();
        h = conv2.forward(h);
        var shortcut = nn.functional.interpolate(conv_sc.forward(x), scale_factor: [2.0, 2.0]);
        return h.add_(shortcut).MoveToOuterDisposeScope();
    }
}
