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
        foreach (var layer in root.NamedModulesDepthFirst().Select(m => m.Module).OfType<IWeightLayer>())
        {
            var w = layer.weight;
            switch (init)
            {
                case Init.Ortho: Orthogonal(w, rng); break;
                case Init.N02: w.normal_(0, 0.02, rng); break;
                case Init.Xavier: XavierUniform(w, rng); break;
                default: throw new ArgumentOutOfRangeException(nameof(init), init, "unknown initialisation; expected Ortho, N02 or Xavier");
            }
        }
    }

    // PyTorch's Conv2d/Linear default: kaiming_uniform(a = √5), i.e. U(±1/√fan_in).
    internal static void DefaultLinear(Tensor weight, long fanIn, Rng? rng)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        using var _ = no_grad();
        weight.uniform_(-bound, bound, rng);
    }

    internal static Parameter DefaultBias(long size, long fanIn, Rng? rng)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        using var b = empty([size]);
        b.uniform_(-bound, bound, rng);
        return new Parameter(b);
    }

    // PyTorch's Embedding default: N(0, 1).
    internal static void DefaultEmbedding(Tensor weight, Rng? rng)
    {
        using var _ = no_grad();
        weight.normal_(0, 1, rng);
    }

    // Every draw goes through the tensor's own normal_/uniform_: TorchSharp 0.107's nn.init.normal_ and uniform_ accept
    // a generator but ignore it (they draw from the global one), and its orthogonal_/xavier_uniform_ take none.

    /// <summary>A (semi-)orthogonal matrix over the weight flattened to [size(0), rest] (Saxe et al. 2013): QR of a
    /// Gaussian matrix with R's diagonal signs folded into Q, so the result is uniform over orthogonal matrices.</summary>
    internal static void Orthogonal(Tensor weight, Rng? rng)
    {
        using var scope = NewDisposeScope();
        long rows = weight.shape[0], cols = weight.numel() / rows;
        var gaussian = empty([Math.Max(rows, cols), Math.Min(rows, cols)], dtype: ScalarType.Float64).normal_(0, 1, rng);
        var (q, r) = linalg.qr(gaussian);
        q = q.mul(r.diagonal().sign().unsqueeze(0));
        if (rows < cols) q = q.t();
        weight.copy_(q.reshape(weight.shape));
    }

    /// <summary>U(−a, a) with a = √(6 / (fan_in + fan_out)) (Glorot and Bengio 2010).</summary>
    internal static void XavierUniform(Tensor weight, Rng? rng)
    {
        var s = weight.shape;
        long receptive = 1;
        for (int i = 2; i < s.Length; i++) receptive *= s[i];
        var a = Math.Sqrt(6.0 / (s[1] * receptive + s[0] * receptive));
        weight.uniform_(-a, a, rng);
    }
}
