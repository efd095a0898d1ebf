using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

/// <summary>Owns one native at::Tensor reference. SafeHandle keeps it alive for the length of every P/Invoke,
/// so the finalizer can never free a tensor that a native call is still using.</summary>
internal sealed class TensorHandle : SafeHandle
{
    /// <summary>The handle passed where the C ABI accepts an absent tensor (null).</summary>
    internal static readonly TensorHandle Null = new();

    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    internal TensorHandle(IntPtr raw) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(raw);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.bgn_tensor_free(handle);
        return true;
    }
}

/// <summary>Owns one native at::Generator.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    /// <summary>Stands for libtorch's default CPU generator.</summary>
    internal static readonly GeneratorHandle Default = new();

    public GeneratorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.bgn_generator_free(handle);
        return true;
    }
}

/// <summary>Holds a reference on each handle of a tensor list while native code reads the raw pointers.</summary>
internal readonly struct PinnedHandles : IDisposable
{
    private readonly Tensor?[] _tensors;
    private readonly bool[] _added;
    public readonly IntPtr[] Pointers;

    public PinnedHandles(IReadOnlyList<Tensor?> tensors)
    {
        _tensors = tensors.ToArray();
        _added = new bool[_tensors.Length];
        Pointers = new IntPtr[_tensors.Length];
        try
        {
            for (int i = 0; i < _tensors.Length; i++)
            {
                if (_tensors[i] is null) continue;
                var h = _tensors[i]!.Handle;
                h.DangerousAddRef(ref _added[i]);
                Pointers[i] = h.DangerousGetHandle();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _tensors.Length; i++)
            if (_added[i]) { _tensors[i]!.Handle.DangerousRelease(); _added[i] = false; }
    }
}
