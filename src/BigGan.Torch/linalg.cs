using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    /// <summary>Linear algebra, as torch.linalg (the parts the evaluation metrics need).</summary>
    public static class linalg
    {
        /// <summary>
        /// Eigenvalues (ascending) and eigenvectors (the columns of Q) of a symmetric float32/float64 matrix [n, n],
        /// so that A = Q diag(L) Qᵀ; only the lower triangle is read (LAPACK syevd). Not differentiable here.
        /// </summary>
        public static (Tensor L, Tensor Q) eigh(Tensor A)
        {
            ArgumentNullException.ThrowIfNull(A);
            Check(N.bgn_linalg_eigh(A.Handle, 1, out var l, out var q));
            return (new Tensor(l), new Tensor(q));
        }

        /// <summary>Eigenvalues (ascending) of a symmetric matrix, cheaper than <see cref="eigh"/>.</summary>
        public static Tensor eigvalsh(Tensor A)
        {
            ArgumentNullException.ThrowIfNull(A);
            Check(N.bgn_linalg_eigh(A.Handle, 0, out var l, out var q));
            q.Dispose();
            return new Tensor(l);
        }
    }
}
