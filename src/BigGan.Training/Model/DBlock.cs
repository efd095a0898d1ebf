using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// Discriminator residual block: optional pre-activation (an out-of-place ReLU, since the shortcut reads the raw
/// input), 3×3 SN conv in → hidden, ReLU, 3×3 SN conv hidden → out, then 2×2 average pooling when downsampling;
/// hidden = out when wide (BigGAN), in when thin (SN-GAN). The shortcut is a learnable 1×1 SN conv when in ≠ out or
/// the block downsamples, else the identity. The reference pools before the shortcut conv in the first block and
/// after it in the others; a 1×1 conv (with bias) and 2×2 average pooling commute exactly, so both orders are
/// computed here as pool-then-conv, at a quarter of the FLOPs. Likewise the second 3×3 conv and the pooling run as
/// one stride-2 4×4 conv (<see cref="SNConv2d.ForwardPooled"/>), exactly the same function.
/// </summary>
public sealed class DBlock : ExplicitModule, ILayer
{
    public DBlock(long inChannels, long outChannels, bool wide = true, bool preactivation = true, bool downsample = true,
        SpectralNormOptions sn = default, Rng? rng = null) : base(nameof(DBlock))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Preactivation = preactivation;
        Downsample = downsample;
        var hidden = wide ? outChannels : inChannels;
        conv1 = this.RegisterModule("conv1", new SNConv2d(inChannels, hidden, 3, 1, true, sn, rng));
        conv2 = this.RegisterModule("conv2", new SNConv2d(hidden, outChannels, 3, 1, true, sn, rng));
        if (inChannels != outChannels || downsample)
            conv_sc = this.RegisterModule("conv_sc", new SNConv2d(inChannels, outChannels, 1, 0, true, sn, rng));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public bool Preactivation { get; }
    public bool Downsample { get; }
    public SNConv2d conv1 { get; }
    public SNConv2d conv2 { get; }

    /// <summary>The learnable shortcut, or null for the identity.</summary>
    public SNConv2d? conv_sc { get; }

    /// <returns>[N, out, H/2, W/2] when downsampling, else [N, out, H, W].</returns>
    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = Preactivation ? x.relu() : x;
        h = conv1.forward(h).relu_();
        h = Downsample ? conv2.ForwardPooled(h) : conv2.forward(h);
        var shortcut = Downsample ? nn.functional.avg_pool2d(x, [2, 2]) : x;
        if (conv_sc is not null) shortcut = conv_sc.forward(shortcut);
        return h.add_(shortcut).MoveToOuterDisposeScope();
    }
}
