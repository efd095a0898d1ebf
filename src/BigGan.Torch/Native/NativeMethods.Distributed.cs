using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

/// <summary>P/Invoke declarations for the distributed (c10d) section of bgn.h.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int bgn_dist_backend_available(int backend);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int bgn_dist_store_create(string host, int port, int worldSize, int isMaster, long timeoutMs, out StoreHandle store);
    [LibraryImport(Lib)] internal static partial void bgn_dist_store_free(IntPtr store);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int bgn_dist_store_set(StoreHandle store, string key, byte* value, long nbytes);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int bgn_dist_store_get(StoreHandle store, string key, out TensorHandle value);
    [LibraryImport(Lib)] internal static partial int bgn_dist_pg_create(StoreHandle store, int backend, int rank, int worldSize, long timeoutMs, int checkCollectives, out ProcessGroupHandle group);
    [LibraryImport(Lib)] internal static partial void bgn_dist_pg_free(IntPtr group);
    [LibraryImport(Lib)] internal static partial int bgn_dist_all_reduce(ProcessGroupHandle group, TensorHandle t, int op, long timeoutMs);
    [LibraryImport(Lib)] internal static partial int bgn_dist_all_reduce_coalesced(ProcessGroupHandle group, IntPtr* tensors, int n, int op, long bucketBytes, long timeoutMs);
    [LibraryImport(Lib)] internal static partial int bgn_dist_broadcast(ProcessGroupHandle group, TensorHandle t, int src, long timeoutMs);
    [LibraryImport(Lib)] internal static partial int bgn_dist_broadcast_coalesced(ProcessGroupHandle group, IntPtr* tensors, int n, int src, long bucketBytes, long timeoutMs);
    [LibraryImport(Lib)] internal static partial int bgn_dist_barrier(ProcessGroupHandle group, long timeoutMs);
    [LibraryImport(Lib)] internal static partial int bgn_sync_batch_norm(TensorHandle x, TensorHandle runningMean, TensorHandle runningVar, TensorHandle weight, TensorHandle bias,
        int training, double momentum, double eps, ProcessGroupHandle group, long timeoutMs, out TensorHandle o);
}

/// <summary>Owns one native TCPStore (c10d rendezvous).</summary>
internal sealed class StoreHandle : SafeHandle
{
    public StoreHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.bgn_dist_store_free(handle);
        return true;
    }
}

/// <summary>Owns one native c10d process group.</summary>
internal sealed class ProcessGroupHandle : SafeHandle
{
    /// <summary>Stands for "no group" where the C ABI accepts null (eval-mode sync batch norm).</summary>
    internal static readonly ProcessGroupHandle Null = new();

    public ProcessGroupHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.bgn_dist_pg_free(handle);
        return true;
    }
}
