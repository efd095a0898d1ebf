using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians (Heusel et al. 2017; FID when the features come from an image
/// network): ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½.
/// The matrix square roots go through symmetric eigendecompositions in float64 (LAPACK, via
/// <see cref="torch.linalg.eigh"/>): Σ₁^½ from the eigenpairs of Σ₁
/// (negative rounding noise clamped to 0), then the eigenvalues of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½, clamped
/// at 0 before their square roots are summed. Unlike sqrtm(Σ₁Σ₂) this needs no complex arithmetic, no ε added to
/// the diagonal, and gives finite results for singular (rank-deficient) covariances. Eigenvalues below the
/// decomposition's own rounding level (n·ε·λmax) count as exact zeros: the square root would otherwise turn
/// 1e-16 of noise into 1e-8 of error for singular covariances.
/// </summary>
public static class FrechetDistance
{
    public static double Compute(GaussianStatistics a, GaussianStatistics b) => Compute(a, b, out _);

    /// <summary>The distance, with its three parts for reports: ‖Δμ‖², tr Σ₁ + tr Σ₂, and tr (Σ₁^½ Σ₂ Σ₁^½)^½.</summary>
    public static double Compute(GaussianStatistics a, GaussianStatistics b, out (double meanTerm, double traceTerm, double traceSqrtTerm) parts)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int n = a.Dimension;
        if (b.Dimension != n) throw new ArgumentException($"the statistics have different feature dimensions ({n} and {b.Dimension})");

        double meanTerm = 0, trace = 0;
        for (int i = 0; i < n; i++)
        {
            var d = a.Mean[i] - b.Mean[i];
            meanTerm += d * d;
            trace += a.Covariance[i * n + i] + b.Covariance[i * n + i];
        }

        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var sigma1 = torch.tensor(a.Covariance, [n, n]);
        var sigma2 = torch.tensor(b.Covariance, [n, n]);
        // Σ₁^½ = Q diag(√λ) Qᵀ (eigenvectors in the columns of Q)
        var (values, vectors) = torch.linalg.eigh(sigma1);
        var sqrt1 = vectors.mul(torch.tensor(SqrtClamped(values.ToArray<double>(), n))).mm(vectors.t());
        var m = sqrt1.mm(sigma2).mm(sqrt1);
        m = (m + m.t()).mul_(0.5); // exactly symmetric despite rounding
        var traceSqrt = SqrtClamped(torch.linalg.eigvalsh(m).ToArray<double>(), n).Sum();

        parts = (meanTerm, trace, traceSqrt);
        // The distance is a squared Wasserstein-2 distance, so it is >= 0; only rounding can push it below.
        return Math.Max(0, meanTerm + trace - 2 * traceSqrt);
    }

    // √λ with λ below the rounding level of an n×n decomposition (or negative) taken as 0
    private static double[] SqrtClamped(double[] values, int n)
    {
        double max = values.Length == 0 ? 0 : values.Max(Math.Abs);
        double floor = n * 2.220446049250313e-16 * max;
        return values.Select(x => x <= floor ? 0 : Math.Sqrt(x)).ToArray();
    }

    /// <summary>FID-style distance between two feature sets [N, F] and [M, F].</summary>
    public static double Compute(Tensor featuresA, Tensor featuresB) =>
        Compute(GaussianStatistics.FromFeatures(featuresA), GaussianStatistics.FromFeatures(featuresB));
}
