using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

/// <summary>P/Invoke declarations for bgnshim (native/include/bgn.h). Every int return is a status for <see cref="Status.Check"/>.</summary>
internal static unsafe partial class NativeMethods
{
    internal const string Lib = "bgnshim";

    // library
    [LibraryImport(Lib)] internal static partial int bgn_abi_version();
    [LibraryImport(Lib)] internal static partial IntPtr bgn_torch_version();
    [LibraryImport(Lib)] internal static partial IntPtr bgn_last_error();
    [LibraryImport(Lib)] internal static partial long bgn_live_tensors();
    [LibraryImport(Lib)] internal static partial int bgn_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int bgn_get_num_threads();
    [LibraryImport(Lib)] internal static partial int bgn_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int bgn_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int bgn_manual_seed(ulong seed);

    // generators
    [LibraryImport(Lib)] internal static partial int bgn_generator_create(ulong seed, out GeneratorHandle g);
    [LibraryImport(Lib)] internal static partial void bgn_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int bgn_generator_manual_seed(GeneratorHandle g, ulong seed);
    [LibraryImport(Lib)] internal static partial int bgn_generator_get_state(GeneratorHandle g, out TensorHandle state);
    [LibraryImport(Lib)] internal static partial int bgn_generator_set_state(GeneratorHandle g, TensorHandle state);

    // tensor handles and data
    [LibraryImport(Lib)] internal static partial void bgn_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_alias(TensorHandle t, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_ndim(TensorHandle t, out int ndim);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_sizes(TensorHandle t, long* buf, int capacity);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_dtype(TensorHandle t, out int dtype);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_numel(TensorHandle t, out long numel);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_is_contiguous(TensorHandle t, out int value);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_from_data(void* data, long nbytes, long* sizes, int ndim, int dtype, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_copy_to(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_item_double(TensorHandle t, out double value);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_to(TensorHandle t, int dtype, int deviceType, int deviceIndex, int copy, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_clone(TensorHandle t, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_contiguous(TensorHandle t, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_set_data(TensorHandle t, TensorHandle src);

    // factories
    [LibraryImport(Lib)] internal static partial int bgn_factory(int kind, long* sizes, int ndim, int dtype, int deviceType, int deviceIndex, int requiresGrad, GeneratorHandle g, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_full(long* sizes, int ndim, double value, int dtype, int deviceType, int deviceIndex, int requiresGrad, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_eye(long n, long m, int dtype, int deviceType, int deviceIndex, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_randint(long low, long high, long* sizes, int ndim, int dtype, int deviceType, int deviceIndex, GeneratorHandle g, out TensorHandle o);

    // elementwise
    [LibraryImport(Lib)] internal static partial int bgn_unary(int op, TensorHandle a, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_unary_(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial int bgn_binary(int op, TensorHandle a, TensorHandle b, double alpha, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_binary_scalar(int op, TensorHandle a, double s, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_binary_(int op, TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Lib)] internal static partial int bgn_binary_scalar_(int op, TensorHandle a, double s);
    [LibraryImport(Lib)] internal static partial int bgn_addcmul_(TensorHandle a, TensorHandle t1, TensorHandle t2, double value);
    [LibraryImport(Lib)] internal static partial int bgn_addcdiv_(TensorHandle a, TensorHandle t1, TensorHandle t2, double value);
    [LibraryImport(Lib)] internal static partial int bgn_lerp_(TensorHandle a, TensorHandle end, double weight);
    [LibraryImport(Lib)] internal static partial int bgn_normal_(TensorHandle a, double mean, double std, GeneratorHandle g);
    [LibraryImport(Lib)] internal static partial int bgn_uniform_(TensorHandle a, double from, double to, GeneratorHandle g);
    [LibraryImport(Lib)] internal static partial int bgn_clamp(TensorHandle a, int hasMin, double min, int hasMax, double max, int inPlace, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_softplus(TensorHandle a, double beta, double threshold, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_where(TensorHandle cond, TensorHandle a, TensorHandle b, out TensorHandle o);

    // reductions
    [LibraryImport(Lib)] internal static partial int bgn_reduce(int op, TensorHandle a, long* dims, int ndim, int keepdim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_var(TensorHandle a, long* dims, int ndim, long correction, int keepdim, int takeSqrt, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_norm(TensorHandle a, double p, long* dims, int ndim, int keepdim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_max_dim(TensorHandle a, int isMax, long dim, int keepdim, out TensorHandle values, out TensorHandle indices);
    [LibraryImport(Lib)] internal static partial int bgn_argmax(TensorHandle a, int isMax, int hasDim, long dim, int keepdim, out TensorHandle o);

    // shape and indexing
    [LibraryImport(Lib)] internal static partial int bgn_reshape(TensorHandle a, long* sizes, int ndim, int isView, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_flatten(TensorHandle a, long start, long end, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_squeeze(TensorHandle a, int hasDim, long dim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_unsqueeze(TensorHandle a, long dim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_expand(TensorHandle a, long* sizes, int ndim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_repeat(TensorHandle a, long* repeats, int ndim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_permute(TensorHandle a, long* dims, int ndim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_flip(TensorHandle a, long* dims, int ndim, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_transpose(TensorHandle a, long d0, long d1, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_cat(IntPtr* tensors, int n, long dim, int stack, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_split(TensorHandle a, long chunks, long* sizes, int nsizes, long dim, IntPtr* outs, int capacity, out int count);
    [LibraryImport(Lib)] internal static partial int bgn_slice(TensorHandle a, long dim, long start, long end, long step, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_narrow(TensorHandle a, long dim, long start, long length, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_select(TensorHandle a, long dim, long index, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_index_select(TensorHandle a, long dim, TensorHandle index, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_gather(TensorHandle a, long dim, TensorHandle index, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_one_hot(TensorHandle a, long numClasses, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_masked_fill(TensorHandle a, TensorHandle mask, double value, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_diagonal(TensorHandle a, long offset, out TensorHandle o);

    // nn
    [LibraryImport(Lib)] internal static partial int bgn_linear(TensorHandle x, TensorHandle w, TensorHandle b, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_conv2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* dilation, long groups, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_batch_norm(TensorHandle x, TensorHandle runningMean, TensorHandle runningVar, TensorHandle weight, TensorHandle bias, int training, double momentum, double eps, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_embedding(TensorHandle weight, TensorHandle indices, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_pool2d(TensorHandle x, int isMax, long* kernel, long* stride, long* padding, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_upsample_nearest2d(TensorHandle x, long h, long w, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_softmax(TensorHandle x, long dim, int log, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_cross_entropy(TensorHandle logits, TensorHandle target, int reduction, double labelSmoothing, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_init_orthogonal_(TensorHandle t, double gain, GeneratorHandle g);

    // autograd
    [LibraryImport(Lib)] internal static partial int bgn_requires_grad(TensorHandle t, out int value);
    [LibraryImport(Lib)] internal static partial int bgn_set_requires_grad(TensorHandle t, int value);
    [LibraryImport(Lib)] internal static partial int bgn_is_leaf(TensorHandle t, out int value);
    [LibraryImport(Lib)] internal static partial int bgn_grad(TensorHandle t, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Lib)] internal static partial int bgn_detach(TensorHandle t, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_backward(TensorHandle t, TensorHandle grad, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int bgn_autograd_grad(IntPtr* outputs, int noutputs, IntPtr* inputs, int ninputs, IntPtr* gradOutputs, int retainGraph, int createGraph, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int bgn_is_grad_enabled();
    [LibraryImport(Lib)] internal static partial int bgn_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int bgn_is_inference_mode_enabled();
    [LibraryImport(Lib)] internal static partial int bgn_inference_mode_enter(int enabled, out IntPtr token);
    [LibraryImport(Lib)] internal static partial int bgn_inference_mode_exit(IntPtr token);

    // images
    [LibraryImport(Lib)] internal static partial int bgn_image_decode(byte* data, long nbytes, int channels, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_image_encode_png(TensorHandle img, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_image_resize(TensorHandle img, long height, long width, int interpolation, out TensorHandle o);

    // benchmarking
    [LibraryImport(Lib)] internal static partial int bgn_bench_native_add(TensorHandle a, TensorHandle b, long iterations, out double seconds);
}
