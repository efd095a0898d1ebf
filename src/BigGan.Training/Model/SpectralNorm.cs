using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// Spectral normalisation (Miyato et al. 2018) as BigGAN-PyTorch does it, for a layer whose weight is viewed as a
/// matrix W of shape [out, rest]. Each tracked singular value i has a persistent buffer <c>u{i}</c> [1, out] (drawn
/// N(0, 1)) and a logging buffer <c>sv{i}</c> [1]. Every forward runs the power iteration v = normalize(u W),
/// u = normalize(v Wᵀ) (Gram-Schmidt against the earlier vectors when several are tracked) and divides W by
/// σ = v Wᵀ uᵀ. σ is differentiable through W with u and v held constant. In training mode <c>NumItrs</c>
/// iterations run and u and sv are written back in place; in eval mode one iteration runs from the stored u and
/// nothing is written (the reference does the same: its eval iterations all restart from the stored u).
/// </summary>
public abstract class SpectralNorm : ExplicitModule, IWeightLayer
{
    private readonly int _numSvs;
    private readonly long _rows;
    private readonly bool _isMatrix;

    /// <param name="weightShape">Shape of the weight; dimension 0 is the output (row) dimension.</param>
    /// <param name="options">Singular values, power iterations and eps.</param>
    /// <param name="rng">Draws the u vectors; null means libtorch's default generator.</param>
    protected SpectralNorm(long[] weightShape, SpectralNormOptions options, Rng? rng) : base(nameof(SpectralNorm))
    {
        options.Check();
        Options = options;
        _rows = weightShape[0];
        _isMatrix = weightShape.Length == 2;
        using (var w = empty(weightShape)) weight = this.RegisterParameter("weight", new Parameter(w));
        _numSvs = options.NumSvs;
        for (int i = 0; i < options.NumSvs; i++)
        {
            this.RegisterBuffer($"u{i}", randn([1, _rows], generator: rng));
            this.RegisterBuffer($"sv{i}", ones(1));
        }
    }

    public Parameter weight { get; protected set; }

    public SpectralNormOptions Options { get; }

    /// <summary>The u vectors ([1, out] each), one per tracked singular value.</summary>
    // Looked up by name, not cached: TorchSharp's Module.to replaces buffer tensors.
    public IReadOnlyList<Tensor> U => Enumerable.Range(0, _numSvs).Select(i => get_buffer($"u{i}")!).ToArray();

    /// <summary>The logged singular-value buffers ([1] each), written by training-mode forwards.</summary>
    public IReadOnlyList<Tensor> Sv => Enumerable.Range(0, _numSvs).Select(i => get_buffer($"sv{i}")!).ToArray();

    /// <summary>The singular values logged by the last training-mode forward (reads the sv buffers).</summary>
    public double[] SingularValues()
    {
        using var scope = NewDisposeScope();
        using var all = cat(Sv.ToArray()).to(ScalarType.Float64);
        return all.ToArray<double>();
    }

    /// <summary>W / σ₀, differentiable through W. Updates u and sv in training mode.</summary>
    protected Tensor NormalizedWeight()
    {
        using var scope = NewDisposeScope();
        var w = _isMatrix ? weight : weight.view(_rows, -1);
        var sigma = _numSvs == 1 ? TopSigma(w) : GramSchmidtSigmas(w);
        return weight.div(sigma).MoveToOuterDisposeScope();
    }

    // One singular value: σ = v Wᵀ uᵀ with u = normalize(v Wᵀ) equals ‖v Wᵀ‖, and so does its gradient with u and v
    // held constant (dσ/dW = uᵀv either way), so σ costs one matrix-vector product and one norm under autograd.
    private Tensor TopSigma(Tensor w)
    {
        var eps = Options.Eps;
        var iterations = training ? Options.NumItrs : 1;
        var wt = w.t();
        var stored = get_buffer("u0")!;
        var u = stored;
        Tensor wv = null!;
        for (int it = 0; it < iterations; it++)
        {
            Tensor v;
            using (no_grad())
            {
                var uw = u.mm(w);
                v = uw.div(uw.norm().clamp(min: eps));
            }
            if (it < iterations - 1)
            {
                using var _ = no_grad();
                var vw = v.mm(wt);
                u = vw.div(vw.norm().clamp(min: eps));
            }
            else
            {
                wv = v.mm(wt);
            }
        }
        var sigma = wv.norm();
        if (training)
        {
            using var _ = no_grad();
            stored.copy_(wv.div(sigma.clamp(min: eps)));
            get_buffer("sv0")!.copy_(sigma);
        }
        return sigma;
    }

    // Several singular values (the reference's gram_schmidt/power_iteration): each new v and u is orthogonalised
    // against the earlier ones. Only σ₀ carries a gradient; the others are logged.
    private Tensor GramSchmidtSigmas(Tensor w)
    {
        var eps = Options.Eps;
        var iterations = training ? Options.NumItrs : 1;
        var wt = w.t();
        var current = U.ToArray();
        var sigmas = new Tensor[_numSvs];
        for (int it = 0; it < iterations; it++)
        {
            var us = new List<Tensor>();
            var vs = new List<Tensor>();
            for (int i = 0; i < current.Length; i++)
            {
                Tensor v, u, wv;
                using (no_grad())
                {
                    v = Normalize(Orthogonalize(current[i].mm(w), vs), eps);
                }
                vs.Add(v);
                wv = v.mm(wt);
                using (no_grad())
                {
                    u = Normalize(Orthogonalize(wv, us), eps);
                }
                us.Add(u);
                sigmas[i] = wv.mul(u).sum();
            }
            current = us.ToArray();
        }
        if (training)
        {
            using var _ = no_grad();
            var us = U;
            var svs = Sv;
            for (int i = 0; i < _numSvs; i++)
            {
                us[i].copy_(current[i]);
                svs[i].copy_(sigmas[i]);
            }
        }
        return sigmas[0];
    }

    private static Tensor Normalize(Tensor x, double eps) => x.div(x.norm().clamp(min: eps));

    // x − Σ proj_y(x), with proj_y(x) = (y xᵀ) y / (y yᵀ), all row vectors.
    private static Tensor Orthogonalize(Tensor x, List<Tensor> ys)
    {
        foreach (var y in ys)
            x = x.sub(y.mm(x.t()).mul(y).div(y.mm(y.t())));
        return x;
    }
}
