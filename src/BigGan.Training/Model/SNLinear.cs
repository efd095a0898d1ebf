using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>A linear layer y = x (W/σ)ᵀ + b with spectral normalisation.</summary>
public sealed class SNLinear : SpectralNorm, ILayer
{
    public SNLinear(long inFeatures, long outFeatures, bool bias = true, SpectralNormOptions options = default, Rng? rng = null)
        : base([outFeatures, inFeatures], Fill(options), rng)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        WeightInit.DefaultLinear(weight, inFeatures, rng);
        if (bias) this.bias = this.RegisterParameter("bias", WeightInit.DefaultBias(outFeatures, inFeatures, rng));
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter? bias { get; private set; }

    public Tensor forward(Tensor input)
    {
        using var w = NormalizedWeight();
        return nn.functional.linear(input, w, bias);
    }

    internal static SpectralNormOptions Fill(SpectralNormOptions o) => o == default ? new SpectralNormOptions(1, 1, 1e-8) : o;
}
