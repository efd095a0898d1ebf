using TorchSharp;
using BigGan.Training.Model;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>The constant weights an eval-mode generator computes with, shared by the folded forward and the ONNX export.</summary>
public static class EvalWeights
{
    /// <summary>
    /// W/σ of a spectrally normalised layer as its eval-mode forward computes it: v = normalize(u W), σ = ‖v Wᵀ‖ (with
    /// several tracked singular values: σ₀ = (v Wᵀ)·normalize(v Wᵀ)), from the stored u, with the same operations.
    /// </summary>
    public static Tensor NormalizedWeight(SpectralNorm layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weight = layer.weight.detach();
        var eps = layer.Options.Eps;
        var w = weight.dim() == 2 ? weight : weight.view(weight.shape[0], -1);
        var uw = layer.U[0].mm(w);
        var v = uw.div(uw.norm().clamp(min: eps));
        var wv = v.mm(w.t());
        var sigma = layer.U.Count == 1 ? wv.norm() : wv.mul(wv.div(wv.norm().clamp(min: eps))).sum();
        return weight.div(sigma).MoveToOuterDisposeScope();
    }
}
