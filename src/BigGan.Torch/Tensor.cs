using System.Runtime.InteropServices;
using BigGan.Torch.Native;
using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>
/// A libtorch tensor. Every op returns a new Tensor that the caller owns (or the innermost <see cref="DisposeScope"/>
/// owns, when one is open); in-place ops (trailing underscore) return this same object.
/// </summary>
public partial class Tensor : IDisposable
{
    private TensorHandle? _handle;
    private static long _liveCount;

    internal Tensor(TensorHandle handle)
    {
        if (handle.IsInvalid) throw new ArgumentException("invalid tensor handle");
        _handle = handle;
        Interlocked.Increment(ref _liveCount);
        DisposeScope.Current?.Add(this);
    }

    /// <summary>Tensors created and not yet disposed in this process (managed view; see also <see cref="torch.native_live_tensors"/>).</summary>
    public static long LiveCount => Interlocked.Read(ref _liveCount);

    internal DisposeScope? Owner { get; set; }

    internal TensorHandle Handle => _handle ?? throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed");

    public bool IsDisposed => _handle is null;

    /// <summary>Wraps a handle that native code may have left null (an undefined tensor).</summary>
    internal static Tensor? WrapOptional(TensorHandle h) => h.IsInvalid ? null : new Tensor(h);

    internal static TensorHandle HandleOf(Tensor? t) => t is null ? TensorHandle.Null : t.Handle;

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, null);
        if (h is null) return;
        h.Dispose();
        Interlocked.Decrement(ref _liveCount);
        GC.SuppressFinalize(this);
    }

    /// <summary>Takes the native handle away from this wrapper (which becomes disposed) for a new owner.</summary>
    internal TensorHandle StealHandle()
    {
        var h = Interlocked.Exchange(ref _handle, null) ?? throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed");
        Interlocked.Decrement(ref _liveCount);
        return h;
    }

    /// <summary>Hands the tensor to the scope around the current one (or to no scope), so it outlives the current scope.</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        var outer = Owner?.Outer;
        Owner = null;
        outer?.Add(this);
        return this;
    }

    /// <summary>Removes the tensor from any scope: the caller now disposes it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Owner = null;
        return this;
    }

    // ---- metadata ----

    public long dim()
    {
        Check(N.bgn_tensor_ndim(Handle, out var n));
        return n;
    }

    public unsafe long[] shape
    {
        get
        {
            Check(N.bgn_tensor_ndim(Handle, out var n));
            var s = new long[n];
            fixed (long* p = s) Check(N.bgn_tensor_sizes(Handle, p, n));
            return s;
        }
    }

    public long size(int d)
    {
        var s = shape;
        var i = d < 0 ? d + s.Length : d;
        if (i < 0 || i >= s.Length) throw new ArgumentOutOfRangeException(nameof(d), $"dimension {d} out of range for a {s.Length}-d tensor");
        return s[i];
    }

    public ScalarType dtype
    {
        get
        {
            Check(N.bgn_tensor_dtype(Handle, out var t));
            return (ScalarType)t;
        }
    }

    public Device device
    {
        get
        {
            Check(N.bgn_tensor_device(Handle, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    public long numel()
    {
        Check(N.bgn_tensor_numel(Handle, out var n));
        return n;
    }

    public bool is_contiguous()
    {
        Check(N.bgn_tensor_is_contiguous(Handle, out var v));
        return v != 0;
    }

    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", shape)}], {dtype}, {device}";

    // ---- data ----

    /// <summary>Copies the elements (row-major) into a new array; T must match the dtype.</summary>
    public T[] data<T>() where T : unmanaged
    {
        var result = new T[numel()];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements (row-major) into a span of exactly numel() elements of the tensor's own type.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var t = ScalarTypeInfo.Of<T>();
        if (t != dtype) throw new ArgumentException($"tensor holds {dtype}, not {t} ({typeof(T).Name})");
        fixed (T* p = destination) Check(N.bgn_tensor_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>The raw bytes of the elements in row-major order.</summary>
    public unsafe byte[] bytes()
    {
        var result = new byte[numel() * dtype.ElementSize()];
        fixed (byte* p = result) Check(N.bgn_tensor_copy_to(Handle, p, result.Length));
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(bool) || typeof(T) == typeof(byte))
        {
            Check(N.bgn_tensor_item_int64(Handle, out var l));
            return typeof(T) == typeof(bool) ? (T)(object)(l != 0) : (T)Convert.ChangeType(l, typeof(T));
        }
        Check(N.bgn_tensor_item_double(Handle, out var d));
        return (T)Convert.ChangeType(d, typeof(T));
    }

    // ---- conversion ----

    public Tensor to(ScalarType type, bool copy = false)
    {
        ScalarTypeInfo.CheckDefined(type);
        var d = device;
        Check(N.bgn_tensor_to(Handle, (int)type, (int)d.type, d.index, copy ? 1 : 0, out var h));
        return new Tensor(h);
    }

    public Tensor to(Device target, bool copy = false)
    {
        Check(N.bgn_tensor_to(Handle, (int)dtype, (int)target.type, Math.Max(target.index, target.type == DeviceType.CUDA ? 0 : -1), copy ? 1 : 0, out var h));
        return new Tensor(h);
    }

    public Tensor cpu() => to(Device.CPU);

    public Tensor clone()
    {
        Check(N.bgn_tensor_clone(Handle, out var h));
        return new Tensor(h);
    }

    public Tensor contiguous()
    {
        Check(N.bgn_tensor_contiguous(Handle, out var h));
        return new Tensor(h);
    }

    /// <summary>A new handle to the same tensor (shares storage and autograd identity).</summary>
    public Tensor alias()
    {
        Check(N.bgn_tensor_alias(Handle, out var h));
        return new Tensor(h);
    }

    /// <summary>Replaces the data (and device/dtype) this tensor refers to while keeping its identity, as PyTorch's <c>p.data = x</c>.</summary>
    public void set_data(Tensor source) => Check(N.bgn_tensor_set_data(Handle, source.Handle));

    // ---- autograd ----

    public bool requires_grad
    {
        get
        {
            Check(N.bgn_requires_grad(Handle, out var v));
            return v != 0;
        }
        set => Check(N.bgn_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    public bool is_leaf
    {
        get
        {
            Check(N.bgn_is_leaf(Handle, out var v));
            return v != 0;
        }
    }

    /// <summary>The accumulated gradient as a new handle, or null when there is none.</summary>
    public Tensor? grad
    {
        get
        {
            Check(N.bgn_grad(Handle, out var h));
            return WrapOptional(h);
        }
        set => Check(N.bgn_set_grad(Handle, HandleOf(value)));
    }

    public Tensor detach()
    {
        Check(N.bgn_detach(Handle, out var h));
        return new Tensor(h);
    }

    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
        Check(N.bgn_backward(Handle, HandleOf(gradient), retain_graph ? 1 : 0, create_graph ? 1 : 0));
}
