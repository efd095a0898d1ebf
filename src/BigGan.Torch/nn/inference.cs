using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Single-pass forms of memory-bound steps of an eval-mode generator (batch norm with per-sample class gains
        /// folded into a scale and shift, then ReLU). Not differentiable: for inference only.
        /// </summary>
        public static class inference
        {
            /// <summary>relu(x · scale + shift) for x float32 [N, C, H, W] and scale, shift float32 [N, C]; a channels-last
            /// x gives a channels-last result.</summary>
            public static Tensor scale_shift_relu(Tensor x, Tensor scale, Tensor shift)
            {
                Check(N.bgn_sampling_scale_shift_relu(x.Handle, scale.Handle, shift.Handle, out var h));
                return new Tensor(h);
            }

            /// <summary>
            /// relu(phase · scale + shift) interleaved: <paramref name="y"/> float32 [N, 4C, H+1, W+1] holds the four
            /// output phases of conv3x3(upsample2x(x)) as one 2×2 conv with padding 1 computes them (phase (a, b) in
            /// channels (2a + b)·C onwards, its H×W window starting at (a, b)); the result is channels-last [N, C, 2H, 2W]
            /// with phase (a, b) at pixels (2i + a, 2j + b).
            /// </summary>
            public static Tensor phase_scale_shift_relu(Tensor y, Tensor scale, Tensor shift)
            {
                Check(N.bgn_sampling_phase_scale_shift_relu(y.Handle, scale.Handle, shift.Handle, out var h));
                return new Tensor(h);
            }
        }
    }
}
