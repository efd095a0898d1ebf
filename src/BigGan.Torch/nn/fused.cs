using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Exact, cheaper forms of conv patterns that dominate BigGAN (same values up to float rounding, fully
        /// differentiable): each needs 16 instead of 36 multiply-adds per output pixel.
        /// </summary>
        public static class fused
        {
            /// <summary>conv2d(interpolate(x, scale_factor: 2), weight, bias, padding: 1) for a [out, in, 3, 3] weight,
            /// computed as four 2×2 convs on x, one per output phase.</summary>
            public static Tensor upsample_conv3x3(Tensor input, Tensor weight, Tensor? bias = null)
            {
                Check(N.bgn_model_upsample_conv3x3(input.Handle, weight.Handle, Tensor.HandleOf(bias), out var h));
                return new Tensor(h);
            }

            /// <summary>avg_pool2d(conv2d(x, weight, bias, padding: 1), 2) for a [out, in, 3, 3] weight, computed as one
            /// stride-2 4×4 conv.</summary>
            public static Tensor conv3x3_avgpool(Tensor input, Tensor weight, Tensor? bias = null)
            {
                Check(N.bgn_model_conv3x3_avgpool(input.Handle, weight.Handle, Tensor.HandleOf(bias), out var h));
                return new Tensor(h);
            }
        }
    }
}
