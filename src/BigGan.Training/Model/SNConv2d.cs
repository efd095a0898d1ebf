using BigGan.Torch;
using static BigGan.Torch.torch;
using Rng = BigGan.Torch.Generator;

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
        if (bias) this.bias = register_parameter("bias", WeightInit.DefaultBias(outChannels, fanIn, rng));
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public long KernelSize { get; }
    public long Padding { get; }
    public nn.Parameter? bias { get; }

    public Tensor forward(Tensor input)
    {
        using var w = NormalizedWeight();
        return nn.functional.conv2d(input, w, bias, 1, Padding);
    }
}
