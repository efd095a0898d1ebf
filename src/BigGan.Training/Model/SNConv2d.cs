using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>A square-kernel, stride-1 2-d convolution with spectral normalisation (W viewed as [out, in·k·k]).</summary>
public sealed class SNConv2d : SpectralNorm, ILayer
{
    public SNConv2d(long inChannels, long outChannels, long kernelSize = 3, long padding = 1, bool bias = true,
        SpectralNormOptions options = default, Rng? rng = null)
        : base([outChannels, inChannels, kernelSize, kernelSize], SNLinear.Fill(options), rng)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Padding = padding;
        var fanIn = inChannels * kernelSize * kernelSize;
        WeightInit.DefaultLinear(weight, fanIn, rng);
        if (bias) this.bias = this.RegisterParameter("bias", WeightInit.DefaultBias(outChannels, fanIn, rng));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public long KernelSize { get; }
    public long Padding { get; }
    public Parameter? bias { get; private set; }

    public Tensor forward(Tensor input)
    {
        using var w = NormalizedWeight();
        return Convolution.Conv2d(input, w, bias, padding: Padding);
    }

    /// <summary>forward(interpolate(input, scale_factor: 2)) for this 3×3, padding-1 conv, computed exactly as four
    /// 2×2 convs on the low-resolution input (16 instead of 36 multiply-adds per output pixel).</summary>
    public Tensor ForwardUpsampled(Tensor input)
    {
        CheckFusable();
        using var w = NormalizedWeight();
        return PhaseConvolution.UpsampleConv3x3(input, w, bias);
    }

    /// <summary>avg_pool2d(forward(input), 2) for this 3×3, padding-1 conv, computed exactly as one stride-2 4×4 conv.</summary>
    public Tensor ForwardPooled(Tensor input)
    {
        CheckFusable();
        using var w = NormalizedWeight();
        return PhaseConvolution.Conv3x3AvgPool(input, w, bias);
    }

    private void CheckFusable()
    {
        if (KernelSize != 3 || Padding != 1)
            throw new InvalidOperationException($"the fused forms need a 3×3 conv with padding 1, this one is {KernelSize}×{KernelSize} with padding {Padding}");
    }
}
