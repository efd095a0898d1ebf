using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// BigGAN's weight initialisation (init_weights in the reference): every conv, linear and embedding weight in the
/// network — spectrally normalised or not, the shared embedding and the cBN tables included — gets the chosen
/// initialiser; biases keep PyTorch's default U(±1/√fan_in), BN gains stay 1 and biases 0, attention γ stays 0.
/// Layers are visited in registration order and draw from the given generator, so a seed fixes the result.
/// </summary>
public static class WeightInit
{
    public static void Apply(nn.Module root, Init init, Rng? rng = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var layer in root.modules().OfType<IWeightLayer>())
        {
            var w = layer.weight;
            switch (init)
            {
                case Init.Ortho: nn.init.orthogonal_(w, 1, rng); break;
                case Init.N02: nn.init.normal_(w, 0, 0.02, rng); break;
                case Init.Xavier: nn.init.xavier_uniform_(w, 1, rng); break;
                default: throw new ArgumentOutOfRangeException(nameof(init), init, "unknown initialisation; expected Ortho, N02 or Xavier");
            }
        }
    }

    // PyTorch's Conv2d/Linear default: kaiming_uniform(a = √5), i.e. U(±1/√fan_in).
    internal static void DefaultLinear(Tensor weight, long fanIn, Rng? rng)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        nn.init.uniform_(weight, -bound, bound, rng);
    }

    internal static Parameter DefaultBias(long size, long fanIn, Rng? rng)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        using var b = empty([size]);
        b.uniform_(-bound, bound, rng);
        return new Parameter(b);
    }

    // PyTorch's Embedding default: N(0, 1).
    internal static void DefaultEmbedding(Tensor weight, Rng? rng) => nn.init.normal_(weight, 0, 1, rng);
}
