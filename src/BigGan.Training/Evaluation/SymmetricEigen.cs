namespace BigGan.Training.Evaluation;

/// <summary>
/// Eigendecomposition of a real symmetric matrix in float64: Householder reduction to tridiagonal form, then
/// implicit QL iterations with Wilkinson shifts. Backward stable (errors relative to the matrix norm), O(n³):
/// a 512×512 matrix takes well under a second. Matrices are row-major double arrays of n·n elements.
/// </summary>
public static class SymmetricEigen
{
    private const int MaxIterationsPerEigenvalue = 60;

    /// <summary>Eigenvalues in ascending order and, when asked, the eigenvectors as the rows of an n×n array
    /// (row i belongs to value i), so that A = Σ λᵢ vᵢ vᵢᵀ. Only the lower triangle of <paramref name="a"/> is read.</summary>
    public static (double[] values, double[]? vectors) Decompose(ReadOnlySpan<double> a, int n, bool computeVectors = true)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "matrix size must be >= 0");
        if (a.Length != (long)n * n) throw new ArgumentException($"a {n}×{n} matrix needs {(long)n * n} elements, got {a.Length}", nameof(a));
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                if (!double.IsFinite(a[i * n + j]))
                    throw new ArgumentException($"the matrix has a non-finite element ({a[i * n + j]}) at [{i}, {j}]", nameof(a));
        if (n == 0) return ([], computeVectors ? [] : null);

        // Work on a full symmetric copy built from the lower triangle.
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                m[i * n + j] = m[j * n + i] = a[i * n + j];

        var d = new double[n];
        var e = new double[n]; // e[i] couples d[i] and d[i+1]; e[n-1] = 0
        // qt holds Qᵀ (row j = column j of Q), so the updates below run along contiguous rows.
        var qt = computeVectors ? Identity(n) : null;
        Tridiagonalize(m, n, d, e, qt);
        QlImplicit(d, e, n, qt);
        return SortAscending(d, qt, n);
    }

    /// <summary>Eigenvalues only (ascending): cheaper than <see cref="Decompose"/>.</summary>
    public static double[] Eigenvalues(ReadOnlySpan<double> a, int n) => Decompose(a, n, computeVectors: false).values;

    private static double[] Identity(int n)
    {
        var q = new double[n * n];
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        return q;
    }

    // A ← Hₖ A Hₖ for k = 0..n-3 with Hₖ = I - β v vᵀ zeroing column k below the subdiagonal; Q ← Q Hₖ.
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, double[]? qt)
    {
        var v = new double[n];
        var p = new double[n];
        var w = new double[n];
        for (int k = 0; k < n - 2; k++)
        {
            int s = k + 1; // the reflector acts on indices s..n-1
            double scale = 0;
            for (int i = s; i < n; i++) scale = Math.Max(scale, Math.Abs(a[i * n + k]));
            if (scale == 0) continue; // the column is already zero below the subdiagonal

            // v = x - α e₁ with α = -sign(x₀)‖x‖ (no cancellation); scaled to avoid overflow in the norm.
            double norm2 = 0;
            for (int i = s; i < n; i++)
            {
                v[i] = a[i * n + k] / scale;
                norm2 += v[i] * v[i];
            }
            double alpha = -Math.CopySign(Math.Sqrt(norm2), v[s]);
            v[s] -= alpha; // |v[s]| = |x₀| + ‖x‖: no cancellation
            double vtv = 0;
            for (int i = s; i < n; i++) vtv += v[i] * v[i];
            double beta = 2 / vtv;

            // Symmetric rank-2 update of the trailing block: B ← B - v qᵀ - q vᵀ, q = p - (β/2)(vᵀp) v, p = β B v.
            double vp = 0;
            for (int i = s; i < n; i++)
            {
                double sum = 0;
                int row = i * n;
                for (int j = s; j < n; j++) sum += a[row + j] * v[j];
                p[i] = beta * sum;
                vp += v[i] * p[i];
            }
            double kk = beta * vp / 2;
            for (int i = s; i < n; i++) p[i] -= kk * v[i];
            for (int i = s; i < n; i++)
            {
                int row = i * n;
                for (int j = s; j < n; j++) a[row + j] -= v[i] * p[j] + p[i] * v[j];
            }
            a[s * n + k] = a[k * n + s] = alpha * scale;
            for (int i = s + 1; i < n; i++) a[i * n + k] = a[k * n + i] = 0;

            if (qt is not null)
            {
                // Q ← Q (I - β v vᵀ): in Qᵀ rows, row_c -= β v_c (Σ_j v_j row_j).
                Array.Clear(w);
                for (int j = s; j < n; j++)
                {
                    double vj = v[j];
                    if (vj == 0) continue;
                    int row = j * n;
                    for (int r = 0; r < n; r++) w[r] += vj * qt[row + r];
                }
                for (int c = s; c < n; c++)
                {
                    double f = beta * v[c];
                    if (f == 0) continue;
                    int row = c * n;
                    for (int r = 0; r < n; r++) qt[row + r] -= f * w[r];
                }
            }
        }
        for (int i = 0; i < n; i++) d[i] = a[i * n + i];
        for (int i = 0; i < n - 1; i++) e[i] = a[(i + 1) * n + i];
        e[n - 1] = 0;
    }

    // Implicit QL on the tridiagonal (d, e); the plane rotations are applied to the rows of Qᵀ.
    private static void QlImplicit(double[] d, double[] e, int n, double[]? qt)
    {
        double norm = 0;
        for (int i = 0; i < n; i++) norm = Math.Max(norm, Math.Abs(d[i]) + Math.Abs(e[i]));
        double tol = double.Epsilon + 2.220446049250313e-16 * norm;

        for (int l = 0; l < n; l++)
        {
            for (int iter = 0; ; iter++)
            {
                int m = l;
                while (m < n - 1 && Math.Abs(e[m]) > tol) m++; // first negligible coupling at or after l
                if (m == l) break;
                if (iter == MaxIterationsPerEigenvalue)
                    throw new ArithmeticException($"symmetric eigendecomposition did not converge for eigenvalue {l} of {n}");

                // Wilkinson shift from the leading 2×2 block, folded into the first rotation.
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + Math.CopySign(r, g));
                double sin = 1, cos = 1, p = 0;
                int i;
                bool deflated = false;
                for (i = m - 1; i >= l; i--)
                {
                    double f = sin * e[i];
                    double b = cos * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        // The rotation underflowed: the matrix splits here; resume with the shortened block.
                        d[i + 1] -= p;
                        e[m] = 0;
                        deflated = true;
                        break;
                    }
                    sin = f / r;
                    cos = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * sin + 2 * cos * b;
                    p = sin * r;
                    d[i + 1] = g + p;
                    g = cos * r - b;
                    if (qt is not null) Rotate(qt, n, i, i + 1, cos, sin);
                }
                if (deflated) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0;
            }
        }
    }

    // rows (i, j) of Qᵀ ← (c·row_i - s·row_j, s·row_i + c·row_j)
    private static void Rotate(double[] qt, int n, int i, int j, double c, double s)
    {
        int ri = i * n, rj = j * n;
        for (int k = 0; k < n; k++)
        {
            double x = qt[ri + k], y = qt[rj + k];
            qt[ri + k] = c * x - s * y;
            qt[rj + k] = s * x + c * y;
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }

    private static (double[] values, double[]? vectors) SortAscending(double[] d, double[]? qt, int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(d.ToArray(), order);
        var values = order.Select(i => d[i]).ToArray();
        if (qt is null) return (values, null);
        var vectors = new double[n * n];
        for (int k = 0; k < n; k++) Array.Copy(qt, order[k] * n, vectors, k * n, n);
        return (values, vectors);
    }
}
