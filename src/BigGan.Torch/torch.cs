using System.Runtime.InteropServices;
using BigGan.Torch.Native;
using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>The PyTorch-shaped entry point: factories, global settings, free functions over tensors.</summary>
public static partial class torch
{
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>The libtorch version the native library was built against (e.g. "1.13.0").</summary>
    public static string __version__ => Marshal.PtrToStringUTF8(N.bgn_torch_version()) ?? "";

    /// <summary>Native tensor handles alive right now (catches leaks that the managed count cannot see).</summary>
    public static long native_live_tensors() => N.bgn_live_tensors();

    public static void manual_seed(ulong seed) => Check(N.bgn_manual_seed(seed));

    /// <summary>State of the default CPU generator, for checkpoints.</summary>
    public static byte[] get_rng_state() => Generator.GetState(GeneratorHandle.Default);

    public static void set_rng_state(byte[] state) => Generator.SetState(GeneratorHandle.Default, state);

    public static void set_num_threads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "number of threads must be at least 1");
        Check(N.bgn_set_num_threads(n));
    }

    public static int get_num_threads() => N.bgn_get_num_threads();

    public static DisposeScope NewDisposeScope() => new();

    public static class cuda
    {
        public static bool is_available() => N.bgn_cuda_is_available() != 0;
        public static int device_count() => N.bgn_cuda_device_count();
    }

    // ---- factories ----

    private static (int type, int index) Dev(Device? d)
    {
        d ??= Device.CPU;
        return ((int)d.type, d.type == DeviceType.CUDA ? Math.Max(0, d.index) : -1);
    }

    private static unsafe Tensor Factory(int kind, long[] shape, ScalarType dtype, Device? device, bool requires_grad, Generator? g = null)
    {
        ScalarTypeInfo.CheckDefined(dtype);
        var (t, i) = Dev(device);
        TensorHandle h;
        fixed (long* p = shape)
            Check(N.bgn_factory(kind, p, shape.Length, (int)dtype, t, i, requires_grad ? 1 : 0, Generator.HandleOf(g), out h));
        return new Tensor(h);
    }

    public static Tensor zeros(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false) =>
        Factory(0, shape, dtype, device, requires_grad);

    public static Tensor zeros(params long[] shape) => zeros(shape, float32);

    public static Tensor ones(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false) =>
        Factory(1, shape, dtype, device, requires_grad);

    public static Tensor ones(params long[] shape) => ones(shape, float32);

    public static Tensor empty(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false) =>
        Factory(2, shape, dtype, device, requires_grad);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false, Generator? generator = null) =>
        Factory(3, shape, dtype, device, requires_grad, generator);

    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false, Generator? generator = null) =>
        Factory(4, shape, dtype, device, requires_grad, generator);

    public static Tensor randn(params long[] shape) => randn(shape, float32);

    public static unsafe Tensor full(long[] shape, double value, ScalarType dtype = float32, Device? device = null, bool requires_grad = false)
    {
        ScalarTypeInfo.CheckDefined(dtype);
        var (t, i) = Dev(device);
        TensorHandle h;
        fixed (long* p = shape) Check(N.bgn_full(p, shape.Length, value, (int)dtype, t, i, requires_grad ? 1 : 0, out h));
        return new Tensor(h);
    }

    /// <summary>Integers uniform in [low, high).</summary>
    public static unsafe Tensor randint(long low, long high, long[] shape, ScalarType dtype = int64, Device? device = null, Generator? generator = null)
    {
        ScalarTypeInfo.CheckDefined(dtype);
        var (t, i) = Dev(device);
        TensorHandle h;
        fixed (long* p = shape) Check(N.bgn_randint(low, high, p, shape.Length, (int)dtype, t, i, Generator.HandleOf(generator), out h));
        return new Tensor(h);
    }

    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = int64, Device? device = null)
    {
        ScalarTypeInfo.CheckDefined(dtype);
        var (t, i) = Dev(device);
        Check(N.bgn_arange(start, end, step, (int)dtype, t, i, out var h));
        return new Tensor(h);
    }

    public static Tensor arange(long end, ScalarType dtype = int64) => arange(0, end, 1, dtype);

    public static Tensor eye(long n, long? m = null, ScalarType dtype = float32, Device? device = null)
    {
        var (t, i) = Dev(device);
        Check(N.bgn_eye(n, m ?? n, (int)dtype, t, i, out var h));
        return new Tensor(h);
    }

    // The *_like factories keep the source's dtype, device and memory format (as PyTorch's preserve_format).
    private static Tensor Like(int kind, Tensor t, Generator? g = null)
    {
        Check(N.bgn_factory_like(kind, t.Handle, Generator.HandleOf(g), out var h));
        return new Tensor(h);
    }

    public static Tensor zeros_like(Tensor t) => Like(0, t);
    public static Tensor ones_like(Tensor t) => Like(1, t);
    public static Tensor empty_like(Tensor t) => Like(2, t);
    public static Tensor full_like(Tensor t, double value) => Like(2, t).fill_(value);
    public static Tensor rand_like(Tensor t, Generator? generator = null) => Like(3, t, generator);
    public static Tensor randn_like(Tensor t, Generator? generator = null) => Like(4, t, generator);

    /// <summary>A tensor holding a copy of the data, with the given shape (1-d when null).</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[]? shape = null, bool requires_grad = false) where T : unmanaged
    {
        var dtype = ScalarTypeInfo.Of<T>();
        shape ??= [data.Length];
        long count = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape)}]", nameof(shape));
            count *= s;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {count} elements but the data has {data.Length}", nameof(shape));
        Tensor result;
        fixed (T* d = data)
        fixed (long* p = shape)
        {
            Check(N.bgn_tensor_from_data(d, (long)data.Length * sizeof(T), p, shape.Length, (int)dtype, out var h));
            result = new Tensor(h);
        }
        if (requires_grad) result.requires_grad = true;
        return result;
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, bool requires_grad = false) where T : unmanaged =>
        tensor((ReadOnlySpan<T>)data, shape, requires_grad);

    public static Tensor tensor(float value) => tensor(new[] { value }, []);
    public static Tensor tensor(double value) => tensor(new[] { value }, []);
    public static Tensor tensor(long value) => tensor(new[] { value }, []);

    /// <summary>A tensor from a managed rectangular array, keeping its rank and shape.</summary>
    public static Tensor from_array<T>(Array data) where T : unmanaged
    {
        var shape = new long[data.Rank];
        for (int d = 0; d < data.Rank; d++) shape[d] = data.GetLength(d);
        var flat = new T[data.Length];
        int k = 0;
        foreach (T v in data) flat[k++] = v;
        return tensor(flat, shape);
    }

    // ---- free functions ----

    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => CatStack(tensors, dim, false);
    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => CatStack(tensors, dim, true);

    private static unsafe Tensor CatStack(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        using var pins = new PinnedHandles(tensors);
        TensorHandle h;
        fixed (IntPtr* p = pins.Pointers) Check(N.bgn_cat(p, pins.Pointers.Length, dim, stack ? 1 : 0, out h));
        return new Tensor(h);
    }

    public static Tensor where(Tensor condition, Tensor a, Tensor b)
    {
        Check(N.bgn_where(condition.Handle, a.Handle, b.Handle, out var h));
        return new Tensor(h);
    }

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor exp(Tensor a) => a.exp();
    public static Tensor log(Tensor a) => a.log();
    public static Tensor sqrt(Tensor a) => a.sqrt();
    public static Tensor abs(Tensor a) => a.abs();
    public static Tensor relu(Tensor a) => a.relu();
    public static Tensor tanh(Tensor a) => a.tanh();
    public static Tensor sigmoid(Tensor a) => a.sigmoid();
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor clamp(Tensor a, double? min = null, double? max = null) => a.clamp(min, max);
    public static Tensor flatten(Tensor a, long start_dim = 0, long end_dim = -1) => a.flatten(start_dim, end_dim);

    // ---- autograd state ----

    public static bool is_grad_enabled() => N.bgn_is_grad_enabled() != 0;

    /// <summary>Disables gradient recording on this thread until disposed.</summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    /// <summary>Enables gradient recording on this thread until disposed.</summary>
    public static IDisposable enable_grad() => new GradModeScope(true);

    public static bool is_inference_mode_enabled() => N.bgn_is_inference_mode_enabled() != 0;

    /// <summary>libtorch's InferenceMode on this thread until disposed: no autograd bookkeeping at all (fastest sampling).</summary>
    public static IDisposable inference_mode(bool enabled = true) => new InferenceModeScope(enabled);

    private sealed class GradModeScope : IDisposable
    {
        private readonly int _previous;
        private bool _done;
        public GradModeScope(bool enabled) => _previous = N.bgn_set_grad_enabled(enabled ? 1 : 0);
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            N.bgn_set_grad_enabled(_previous);
        }
    }

    private sealed class InferenceModeScope : IDisposable
    {
        private IntPtr _token;
        public InferenceModeScope(bool enabled) => Check(N.bgn_inference_mode_enter(enabled ? 1 : 0, out _token));
        public void Dispose()
        {
            if (_token == IntPtr.Zero) return;
            Check(N.bgn_inference_mode_exit(_token));
            _token = IntPtr.Zero;
        }
    }

    public static partial class autograd
    {
        /// <summary>Gradients of outputs with respect to inputs (null where an input is unused), as torch.autograd.grad.</summary>
        public static unsafe Tensor?[] grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? grad_outputs = null,
            bool retain_graph = false, bool create_graph = false)
        {
            if (grad_outputs is not null && grad_outputs.Count != outputs.Count)
                throw new ArgumentException($"grad_outputs has {grad_outputs.Count} entries for {outputs.Count} outputs", nameof(grad_outputs));
            using var po = new PinnedHandles(outputs);
            using var pi = new PinnedHandles(inputs);
            using var pg = new PinnedHandles(grad_outputs ?? []);
            var raw = new IntPtr[inputs.Count];
            fixed (IntPtr* o = po.Pointers)
            fixed (IntPtr* i = pi.Pointers)
            fixed (IntPtr* g = pg.Pointers)
            fixed (IntPtr* r = raw)
                Check(N.bgn_autograd_grad(o, outputs.Count, i, inputs.Count, grad_outputs is null ? null : g,
                    retain_graph || create_graph ? 1 : 0, create_graph ? 1 : 0, r));
            return raw.Select(p => p == IntPtr.Zero ? null : new Tensor(new TensorHandle(p))).ToArray();
        }
    }
}
