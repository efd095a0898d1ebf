using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// BigGAN-deep discriminator block (bottleneck, hidden = out/4, as BigGANdeep.py): ReLU, 1×1 conv in → hidden,
/// ReLU, 3×3 conv, ReLU, 3×3 conv, ReLU, optional 2×2 average pool, 1×1 conv hidden → out. The shortcut pools when
/// the block downsamples and, when out &gt; in, appends out − in channels made by a 1×1 conv of itself.
/// </summary>
public sealed class DeepDBlock : ExplicitModule, ILayer
{
    public DeepDBlock(long inChannels, long outChannels, bool downsample, SpectralNormOptions sn = default, Rng? rng = null) : base(nameof(DeepDBlock))
    {
        if (outChannels < inChannels)
            throw new ArgumentException($"a deep D block cannot narrow its shortcut: out {outChannels} < in {inChannels}", nameof(outChannels));
        var hidden = outChannels / 4;
        if (hidden < 1) throw new ArgumentException($"a deep D block needs at least 4 output channels (hidden = out / 4), got {outChannels}", nameof(outChannels));
        InChannels = inChannels;
        OutChannels = outChannels;
        Downsample = downsample;
        conv1 = this.RegisterModule("conv1", new SNConv2d(inChannels, hidden, 1, 0, true, sn, rng));
        conv2 = this.RegisterModule("conv2", new SNConv2d(hidden, hidden, 3, 1, true, sn, rng));
        conv3 = this.RegisterModule("conv3", new SNConv2d(hidden, hidden, 3, 1, true, sn, rng));
        conv4 = this.RegisterModule("conv4", new SNConv2d(hidden, outChannels, 1, 0, true, sn, rng));
        if (outChannels > inChannels)
            conv_sc = this.RegisterModule("conv_sc", new SNConv2d(inChannels, outChannels - inChannels, 1, 0, true, sn, rng));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public bool Downsample { get; }
    public SNConv2d conv1 { get; }
    public SNConv2d conv2 { get; }
    public SNConv2d conv3 { get; }
    public SNConv2d conv4 { get; }

    /// <summary>Makes the extra shortcut channels when the block widens, else null.</summary>
    public SNConv2d? conv_sc { get; }

    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(x.relu()).relu_();
        h = conv2.forward(h).relu_();
        h = conv3.forward(h).relu_();
        if (Downsample) h = nn.functional.avg_pool2d(h, [2, 2]);
        h = conv4.forward(h);
        var shortcut = Downsample ? nn.functional.avg_pool2d(x, [2, 2]) : x;
        if (conv_sc is not null) shortcut = cat([shortcut, conv_sc.forward(shortcut)], 1);
        return h.add_(shortcut).MoveToOuterDisposeScope();
    }
}
