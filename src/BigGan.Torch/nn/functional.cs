using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Stateless neural-network functions, as torch.nn.functional.</summary>
        public static class functional
        {
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                Check(N.bgn_linear(input.Handle, weight.Handle, Tensor.HandleOf(bias), out var h));
                return new Tensor(h);
            }

            public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
                conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

            public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, (long h, long w) stride, (long h, long w) padding, (long h, long w) dilation, long groups = 1)
            {
                long* s = stackalloc long[] { stride.h, stride.w };
                long* p = stackalloc long[] { padding.h, padding.w };
                long* d = stackalloc long[] { dilation.h, dilation.w };
                Check(N.bgn_conv2d(input.Handle, weight.Handle, Tensor.HandleOf(bias), s, p, d, groups, out var h));
                return new Tensor(h);
            }

            /// <summary>Batch normalisation. In training mode batch statistics are used and the running ones
            /// (when given) are updated in place: running = (1 - momentum) * running + momentum * batch (unbiased variance).</summary>
            public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
                bool training = false, double momentum = 0.1, double eps = 1e-5)
            {
                Check(N.bgn_batch_norm(input.Handle, Tensor.HandleOf(running_mean), Tensor.HandleOf(running_var), Tensor.HandleOf(weight), Tensor.HandleOf(bias),
                    training ? 1 : 0, momentum, eps, out var h));
                return new Tensor(h);
            }

            public static Tensor embedding(Tensor input, Tensor weight)
            {
                Check(N.bgn_embedding(weight.Handle, input.Handle, out var h));
                return new Tensor(h);
            }

            public static Tensor max_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
                Pool(input, true, kernel_size, stride ?? kernel_size, padding);

            public static Tensor avg_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
                Pool(input, false, kernel_size, stride ?? kernel_size, padding);

            private static unsafe Tensor Pool(Tensor input, bool isMax, long k, long s, long p)
            {
                long* kk = stackalloc long[] { k, k };
                long* ss = stackalloc long[] { s, s };
                long* pp = stackalloc long[] { p, p };
                Check(N.bgn_pool2d(input.Handle, isMax ? 1 : 0, kk, ss, pp, out var h));
                return new Tensor(h);
            }

            /// <summary>Nearest-neighbour resampling of an NCHW tensor to a size or by a scale factor.</summary>
            public static Tensor interpolate(Tensor input, (long h, long w)? size = null, double? scale_factor = null, string mode = "nearest")
            {
                if (mode != "nearest") throw new ArgumentException($"interpolate mode '{mode}' is not supported; use 'nearest'", nameof(mode));
                if (size is null == scale_factor is null) throw new ArgumentException("interpolate needs exactly one of size and scale_factor");
                var shape = input.shape;
                if (shape.Length != 4) throw new ArgumentException($"interpolate expects a 4-d NCHW input, got {shape.Length} dimensions", nameof(input));
                var (oh, ow) = size ?? ((long)Math.Floor(shape[2] * scale_factor!.Value), (long)Math.Floor(shape[3] * scale_factor!.Value));
                Check(N.bgn_upsample_nearest2d(input.Handle, oh, ow, out var h));
                return new Tensor(h);
            }

            public static Tensor softmax(Tensor input, long dim)
            {
                Check(N.bgn_softmax(input.Handle, dim, 0, out var h));
                return new Tensor(h);
            }

            public static Tensor log_softmax(Tensor input, long dim)
            {
                Check(N.bgn_softmax(input.Handle, dim, 1, out var h));
                return new Tensor(h);
            }

            /// <summary>Cross entropy of logits [N, C] against int64 class indices [N]; reduction "mean", "sum" or "none".</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, string reduction = "mean", double label_smoothing = 0)
            {
                int r = reduction switch
                {
                    "none" => 0,
                    "mean" => 1,
                    "sum" => 2,
                    _ => throw new ArgumentException($"reduction must be none, mean or sum, got '{reduction}'", nameof(reduction)),
                };
                Check(N.bgn_cross_entropy(input.Handle, target.Handle, r, label_smoothing, out var h));
                return new Tensor(h);
            }

            public static Tensor one_hot(Tensor input, long num_classes = -1)
            {
                Check(N.bgn_one_hot(input.Handle, num_classes, out var h));
                return new Tensor(h);
            }

            public static Tensor relu(Tensor input) => input.relu();
            public static Tensor tanh(Tensor input) => input.tanh();
            public static Tensor sigmoid(Tensor input) => input.sigmoid();
            public static Tensor softplus(Tensor input, double beta = 1, double threshold = 20) => input.softplus(beta, threshold);

            public static Tensor mse_loss(Tensor input, Tensor target)
            {
                using var d = input - target;
                using var sq = d.square();
                return sq.mean();
            }
        }
    }
}
