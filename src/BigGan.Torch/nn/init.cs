using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Weight initialisers, as torch.nn.init. All work in place without recording gradients.</summary>
        public static class init
        {
            /// <summary>A (semi-)orthogonal matrix over the tensor flattened to [size(0), rest] (Saxe et al. 2013).</summary>
            public static Tensor orthogonal_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                Check(N.bgn_init_orthogonal_(tensor.Handle, gain, Generator.HandleOf(generator)));
                return tensor;
            }

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                using var _ = no_grad();
                return tensor.normal_(mean, std, generator);
            }

            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
            {
                using var _ = no_grad();
                return tensor.uniform_(a, b, generator);
            }

            /// <summary>U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010).</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                var a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return uniform_(tensor, -a, a, generator);
            }

            public static Tensor zeros_(Tensor tensor)
            {
                using var _ = no_grad();
                return tensor.zero_();
            }

            public static Tensor ones_(Tensor tensor)
            {
                using var _ = no_grad();
                return tensor.fill_(1);
            }

            public static (long fanIn, long fanOut) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                var s = tensor.shape;
                if (s.Length < 2) throw new ArgumentException($"fan in/out needs at least 2 dimensions, got {s.Length}", nameof(tensor));
                long receptive = 1;
                for (int i = 2; i < s.Length; i++) receptive *= s[i];
                return (s[1] * receptive, s[0] * receptive);
            }
        }
    }
}
