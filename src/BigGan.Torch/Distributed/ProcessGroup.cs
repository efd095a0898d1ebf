using BigGan.Torch.Native;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>
/// A group of processes that run collectives together (c10d's ProcessGroupGloo on CPU, ProcessGroupNCCL in CUDA
/// builds). Every collective blocks until done and is bounded by a timeout (the group's, unless one is given): a
/// peer that died or stopped answering becomes a <see cref="DistributedException"/>, never a hang. After such an
/// error the group is unusable: dispose it and exit. Every rank must issue the same collectives, on tensors of the
/// same shapes and dtypes, in the same order. Not for concurrent use from several threads.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    /// <summary>The bucket size <see cref="allreduce_coalesced"/> uses by default (25 MiB, as DistributedDataParallel).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly TCPStore? _ownedStore;

    internal ProcessGroupHandle Handle { get; }

    /// <summary>"gloo" or "nccl".</summary>
    public string backend { get; }
    public TimeSpan timeout { get; }
    /// <summary>Whether each collective first checks that all ranks agree on it (see the constructor).</summary>
    public bool check_collectives { get; }
    /// <summary>Index of this process on its machine (LOCAL_RANK; equals the rank when not given).</summary>
    public int local_rank { get; }
    /// <summary>The rendezvous store, when this group was created by init_process_group (it then owns it).</summary>
    public TCPStore? store => _ownedStore;

    private readonly int _rank, _size;

    /// <summary>
    /// Creates a group over a rendezvous store (the group keeps the native store alive by itself). With
    /// <paramref name="check_collectives"/> every collective first checks, with one tiny extra allreduce, that all
    /// ranks are doing the same thing (same collective, dtypes, sizes, root): a mismatch then fails on every rank with
    /// a clear <see cref="DistributedException"/>, where Gloo itself would abort the process.
    /// </summary>
    public ProcessGroup(TCPStore store, int rank, int world_size, string backend = "gloo", TimeSpan? timeout = null, int? local_rank = null,
        bool check_collectives = true)
        : this(store, rank, world_size, backend, timeout ?? torch.distributed.default_pg_timeout, local_rank, check_collectives, ownsStore: false) { }

    internal ProcessGroup(TCPStore store, int rank, int world_size, string backend, TimeSpan timeout, int? local_rank, bool check_collectives, bool ownsStore)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (world_size < 1) throw new ArgumentOutOfRangeException(nameof(world_size), world_size, "world size must be at least 1");
        if (rank < 0 || rank >= world_size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{world_size - 1}");
        var code = BackendCode(backend);
        DistributedException.Check(N.bgn_dist_pg_create(store.Handle, code, rank, world_size, Milliseconds(timeout, nameof(timeout)), check_collectives ? 1 : 0, out var h));
        Handle = h;
        this.backend = backend.ToLowerInvariant();
        this.timeout = timeout;
        _rank = rank;
        _size = world_size;
        this.local_rank = local_rank ?? rank;
        this.check_collectives = check_collectives;
        if (ownsStore) _ownedStore = store;
    }

    public int rank() => _rank;
    public int size() => _size;

    public bool IsDisposed => Handle.IsClosed;

    /// <summary>Reduces the tensor in place across all ranks (every rank ends with the result).</summary>
    public void allreduce(Tensor tensor, ReduceOp op = ReduceOp.SUM, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        DistributedException.Check(N.bgn_dist_all_reduce(Handle, tensor.Handle, (int)op, Timeout(timeout)));
    }

    /// <summary>
    /// Reduces every tensor in place, communicating in buckets: the tensors are flattened (per dtype, in list order)
    /// into buffers of at most <paramref name="bucket_bytes"/>, each reduced in one message, and copied back. This is
    /// the gradient allreduce of data-parallel training (op AVG on the parameters' gradients).
    /// </summary>
    public unsafe void allreduce_coalesced(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.SUM, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null)
    {
        CheckList(tensors, bucket_bytes);
        using var pins = new PinnedHandles(tensors);
        fixed (IntPtr* p = pins.Pointers)
            DistributedException.Check(N.bgn_dist_all_reduce_coalesced(Handle, p, pins.Pointers.Length, (int)op, bucket_bytes, Timeout(timeout)));
    }

    /// <summary>Overwrites the tensor on every rank with rank <paramref name="src"/>'s.</summary>
    public void broadcast(Tensor tensor, int src = 0, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckRank(src);
        DistributedException.Check(N.bgn_dist_broadcast(Handle, tensor.Handle, src, Timeout(timeout)));
    }

    /// <summary>Broadcasts every tensor from rank <paramref name="src"/> in buckets (e.g. all parameters and buffers at start).</summary>
    public unsafe void broadcast_coalesced(IReadOnlyList<Tensor> tensors, int src = 0, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null)
    {
        CheckList(tensors, bucket_bytes);
        CheckRank(src);
        using var pins = new PinnedHandles(tensors);
        fixed (IntPtr* p = pins.Pointers)
            DistributedException.Check(N.bgn_dist_broadcast_coalesced(Handle, p, pins.Pointers.Length, src, bucket_bytes, Timeout(timeout)));
    }

    /// <summary>Returns when every rank has reached the barrier.</summary>
    public void barrier(TimeSpan? timeout = null) => DistributedException.Check(N.bgn_dist_barrier(Handle, Timeout(timeout)));

    public void Dispose()
    {
        Handle.Dispose();
        _ownedStore?.Dispose();
    }

    public override string ToString() => $"ProcessGroup({backend}, rank {_rank} of {_size})";

    internal long Timeout(TimeSpan? timeout) => timeout is { } t ? Milliseconds(t, nameof(timeout)) : 0;

    internal static long Milliseconds(TimeSpan t, string name)
    {
        if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, t, "a timeout must be positive");
        return Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds));
    }

    internal static int BackendCode(string backend) => backend?.ToLowerInvariant() switch
    {
        "gloo" => 0,
        "nccl" => 1,
        _ => throw new ArgumentException($"unknown distributed backend '{backend}': expected \"gloo\" (CPU) or \"nccl\" (CUDA builds)", nameof(backend)),
    };

    private void CheckRank(int src)
    {
        if (src < 0 || src >= _size) throw new ArgumentOutOfRangeException(nameof(src), src, $"source rank must be in 0..{_size - 1}");
    }

    private static void CheckList(IReadOnlyList<Tensor> tensors, long bucket_bytes)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (int i = 0; i < tensors.Count; i++)
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"tensor {i} of the list is null");
        if (bucket_bytes <= 0) throw new ArgumentOutOfRangeException(nameof(bucket_bytes), bucket_bytes, "bucket size must be positive");
    }
}
