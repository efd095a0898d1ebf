using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    /// <summary>Measuring aids for bench/: libtorch's own cost of an op, timed inside the native library, so that the
    /// binding's overhead (P/Invoke, handles, scopes) can be told apart from the work libtorch does.</summary>
    public static class benchmarking
    {
        /// <summary>Seconds libtorch takes for <paramref name="iterations"/> calls of a + b (each result allocated and
        /// freed as a bound call would), with no managed code in the loop.</summary>
        public static double native_add_seconds(Tensor a, Tensor b, long iterations)
        {
            if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "iterations must be at least 1");
            Check(N.bgn_bench_native_add(a.Handle, b.Handle, iterations, out var seconds));
            return seconds;
        }
    }
}
