using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>
/// BigGAN's modified orthogonal regularization (Brock et al. 2018, section 3.1), applied as the reference applies it: not
/// as a loss term but as a gradient added straight to each weight's <c>.grad</c> after backward and before the optimizer step.
/// <para>
/// For a weight viewed as W = [out, in·kh·kw] (rows = output filters) and M = (W Wᵀ) ⊙ (1 − I), the update is
/// grad += 2β · M W. Since ∂/∂W ‖M‖²_F = 4 M W, this is exactly the gradient of the penalty
/// <b>(β/2)·‖(W Wᵀ) ⊙ (1 − I)‖²_F</b>: the reference's β is twice the paper's β for the paper's penalty β‖·‖²_F
/// (the paper writes WᵀW; the reference and this class work on rows). See <see cref="Penalty"/>.
/// </para>
/// Parameters with fewer than 2 dimensions (biases, gains) are skipped, as is anything the caller excludes
/// (the reference excludes G's shared class embedding).
/// </summary>
public static class OrthogonalRegularization
{
    /// <summary>
    /// Adds the regularizer's gradient to every eligible parameter of <paramref name="module"/>.
    /// <paramref name="exclude"/> receives the dotted parameter name (e.g. "shared.weight") and returns true to skip it.
    /// A parameter without a gradient yet gets the regularizer's gradient as its gradient. Returns the names updated.
    /// </summary>
    public static IReadOnlyList<string> Apply(torch.nn.Module module, double strength, Func<string, bool>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Apply(module.named_parameters().Where(p => exclude is null || !exclude(p.name)), strength);
    }

    /// <summary>Adds the regularizer's gradient to each named parameter with at least 2 dimensions.</summary>
    public static IReadOnlyList<string> Apply(IEnumerable<(string name, Parameter parameter)> parameters, double strength)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(strength) || strength < 0)
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "orthogonal regularization strength must be a finite number >= 0");
        var updated = new List<string>();
        if (strength == 0) return updated;
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, p) in parameters)
        {
            if (p.dim() < 2) continue;
            var g = Gradient(p, strength);
            var grad = p.grad;
            if (grad is null) p.grad = g.view(p.shape);
            else grad.add_(g.view(p.shape));
            updated.Add(name);
        }
        return updated;
    }

    /// <summary>2β · ((W Wᵀ) ⊙ (1 − I)) W for W = weight viewed as [out, -1]; shaped [out, -1].</summary>
    public static Tensor Gradient(Tensor weight, double strength)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() < 2) throw new ArgumentException($"orthogonal regularization needs a weight with >= 2 dimensions, got shape [{string.Join(", ", weight.shape)}]", nameof(weight));
        using var scope = torch.NewDisposeScope();
        var w = weight.detach().reshape(weight.size(0), -1);
        var gram = w.mm(w.t());
        var offDiagonal = gram.mul_(OffDiagonalMask(gram));
        return offDiagonal.mm(w).mul_(2 * strength).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The explicit penalty (β/2)·‖(W Wᵀ) ⊙ (1 − I)‖²_F whose gradient <see cref="Apply(torch.nn.Module, double, Func{string, bool}?)"/>
    /// adds; differentiable (for tests and for logging the regularizer's value).
    /// </summary>
    public static Tensor Penalty(Tensor weight, double strength)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() < 2) throw new ArgumentException($"orthogonal regularization needs a weight with >= 2 dimensions, got shape [{string.Join(", ", weight.shape)}]", nameof(weight));
        using var scope = torch.NewDisposeScope();
        var w = weight.reshape(weight.size(0), -1);
        var gram = w.mm(w.t());
        var offDiagonal = gram.mul(OffDiagonalMask(gram));
        return offDiagonal.square().sum().mul(strength / 2).MoveToOuterDisposeScope();
    }

    private static Tensor OffDiagonalMask(Tensor gram) => 1.0 - torch.eye(gram.size(0), dtype: gram.dtype, device: gram.device);
}
