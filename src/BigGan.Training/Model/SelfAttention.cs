using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// SAGAN self-attention as BigGAN-PyTorch implements it: 1×1 SN convs without bias θ, φ: C → C/8 and g: C → C/2;
/// φ and g are max-pooled 2×2; β = softmax over keys of θᵀφ; o: C/2 → C maps g·βᵀ back; out = x + γ·o with the
/// scalar γ starting at 0, so a fresh block is the identity.
/// </summary>
public sealed class SelfAttention : ExplicitModule, ILayer
{
    public SelfAttention(long channels, SpectralNormOptions sn = default, Rng? rng = null) : base(nameof(SelfAttention))
    {
        if (channels < 8) throw new ArgumentOutOfRangeException(nameof(channels), channels, "self-attention needs at least 8 channels (it projects to channels / 8)");
        Channels = channels;
        theta = this.RegisterModule("theta", new SNConv2d(channels, channels / 8, 1, 0, bias: false, sn, rng));
        phi = this.RegisterModule("phi", new SNConv2d(channels, channels / 8, 1, 0, bias: false, sn, rng));
        g = this.RegisterModule("g", new SNConv2d(channels, channels / 2, 1, 0, bias: false, sn, rng));
        o = this.RegisterModule("o", new SNConv2d(channels / 2, channels, 1, 0, bias: false, sn, rng));
        gamma = this.RegisterParameter("gamma", ModuleExtensions.NewParameter(zeros([])));
    }

    public long Channels { get; }
    public SNConv2d theta { get; }
    public SNConv2d phi { get; }
    public SNConv2d g { get; }
    public SNConv2d o { get; }
    public Parameter gamma { get; private set; }

    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = x.shape;
        long n = s[0], h = s[2], w = s[3], c8 = Channels / 8, c2 = Channels / 2;
        var q = theta.forward(x).view(n, c8, h * w);
        var k = nn.functional.max_pool2d(phi.forward(x), [2, 2]).view(n, c8, -1);
        var v = nn.functional.max_pool2d(g.forward(x), [2, 2]).view(n, c2, -1);
        var beta = nn.functional.softmax(q.transpose(1, 2).bmm(k), -1);          // [N, HW, HW/4]
        // g·βᵀ [N, C/2, HW]; computed as (β gᵀ)ᵀ when x is channels-last, so the result is already NHWC in memory.
        var attended = x.is_contiguous(MemoryFormat.ChannelsLast)
            ? beta.bmm(v.transpose(1, 2)).view(n, h, w, c2).permute(0, 3, 1, 2)
            : v.bmm(beta.transpose(1, 2)).view(n, c2, h, w);
        return o.forward(attended).mul(gamma).add_(x).MoveToOuterDisposeScope();
    }
}
