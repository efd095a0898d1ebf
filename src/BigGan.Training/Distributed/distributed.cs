namespace BigGan.Training.Distributed;

/// <summary>
/// Data-parallel communication on Gloo, shaped like torch.distributed (TorchSharp has none): one default process
/// group per process (init_process_group ... destroy_process_group), collectives that act on it unless a group is
/// given.
/// </summary>
public static class distributed
{
    private static readonly object Gate = new();
    private static ProcessGroup? _default;

    /// <summary>The default timeout of a process group (as PyTorch: 30 minutes).</summary>
    public static readonly TimeSpan default_pg_timeout = TimeSpan.FromMinutes(30);

    /// <summary>True when this build can run distributed jobs on CPU (the gloo backend: libbiggan_gloo.so loads).</summary>
    public static bool is_available() => is_gloo_available();

    public static bool is_gloo_available() => GlooNative.TryLoad(out _);

    /// <summary>Always false: this engine speaks Gloo only (CUDA tensors are reduced through CPU copies).</summary>
    public static bool is_nccl_available() => false;

    public static bool is_initialized()
    {
        lock (Gate) return _default is not null;
    }

    /// <summary>
    /// Joins the job described by the torchrun environment variables (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
    /// LOCAL_RANK): rendezvous at the master, then a process group over it, which becomes the default group.
    /// Missing or malformed variables fail at once with <see cref="ArgumentException"/>; an unreachable master or
    /// too few processes fail within <paramref name="timeout"/> with <see cref="DistributedException"/>.
    /// </summary>
    public static ProcessGroup init_process_group(string backend = "gloo", TimeSpan? timeout = null, bool check_collectives = true) =>
        init_process_group(backend, DistributedEnvironment.FromEnvironment(), timeout, check_collectives);

    /// <summary>Joins a job given explicitly instead of by environment variables.</summary>
    public static ProcessGroup init_process_group(string backend, string master_addr, int master_port, int rank, int world_size,
        TimeSpan? timeout = null, int? local_rank = null, bool check_collectives = true) =>
        init_process_group(backend, new DistributedEnvironment(master_addr, master_port, rank, world_size, local_rank), timeout, check_collectives);

    /// <summary>Joins the job described by <paramref name="environment"/>. <paramref name="check_collectives"/>: see <see cref="ProcessGroup(TCPStore, int, int, string, TimeSpan?, int?, bool)"/>.</summary>
    public static ProcessGroup init_process_group(string backend, DistributedEnvironment environment, TimeSpan? timeout = null, bool check_collectives = true)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ProcessGroup.CheckBackend(backend);
        var t = timeout ?? default_pg_timeout;
        ProcessGroup.Milliseconds(t, nameof(timeout));
        lock (Gate)
        {
            if (_default is not null)
                throw new InvalidOperationException($"the default process group is already initialized ({_default}): call destroy_process_group() first");
            // Load the shim before any networking, so a missing library is reported as such.
            _ = GlooNative.Library;
            var store = new TCPStore(environment.MasterAddr, environment.MasterPort, environment.WorldSize, environment.IsMaster, t);
            try
            {
                _default = new ProcessGroup(store, environment.Rank, environment.WorldSize, backend, t, environment.LocalRank, check_collectives, ownsStore: true);
            }
            catch
            {
                store.Dispose();
                throw;
            }
            return _default;
        }
    }

    /// <summary>The default group; throws when init_process_group has not been called.</summary>
    public static ProcessGroup get_default_group()
    {
        lock (Gate)
            return _default ?? throw new InvalidOperationException("the default process group is not initialized: call distributed.init_process_group first");
    }

    public static int get_rank(ProcessGroup? group = null) => (group ?? get_default_group()).rank();

    public static int get_world_size(ProcessGroup? group = null) => (group ?? get_default_group()).size();

    /// <summary>LOCAL_RANK of this process (its index on its machine).</summary>
    public static int get_local_rank(ProcessGroup? group = null) => (group ?? get_default_group()).local_rank;

    /// <summary>Reduces the tensor in place across ranks. AVG is for floating-point tensors.</summary>
    public static void all_reduce(Tensor tensor, ReduceOp op = ReduceOp.SUM, ProcessGroup? group = null, TimeSpan? timeout = null) =>
        (group ?? get_default_group()).allreduce(tensor, op, timeout);

    /// <summary>Reduces every tensor in place, in buckets of at most <paramref name="bucketBytes"/> (see <see cref="ProcessGroup.allreduce_coalesced"/>).</summary>
    public static void all_reduce_coalesced(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.SUM, long bucketBytes = ProcessGroup.DefaultBucketBytes,
        ProcessGroup? group = null, TimeSpan? timeout = null) =>
        (group ?? get_default_group()).allreduce_coalesced(tensors, op, bucketBytes, timeout);

    public static void broadcast(Tensor tensor, int src, ProcessGroup? group = null, TimeSpan? timeout = null) =>
        (group ?? get_default_group()).broadcast(tensor, src, timeout);

    /// <summary>Broadcasts every tensor from <paramref name="src"/> in buckets (parameters and buffers at the start of training).</summary>
    public static void broadcast_coalesced(IReadOnlyList<Tensor> tensors, int src = 0, long bucketBytes = ProcessGroup.DefaultBucketBytes,
        ProcessGroup? group = null, TimeSpan? timeout = null) =>
        (group ?? get_default_group()).broadcast_coalesced(tensors, src, bucketBytes, timeout);

    public static void barrier(ProcessGroup? group = null, TimeSpan? timeout = null) => (group ?? get_default_group()).barrier(timeout);

    /// <summary>Disposes the given group, or the default group (which may then be initialized again).</summary>
    public static void destroy_process_group(ProcessGroup? group = null)
    {
        lock (Gate)
        {
            if (group is null || ReferenceEquals(group, _default))
            {
                _default?.Dispose();
                _default = null;
            }
            else group.Dispose();
        }
    }

    /// <summary>
    /// Cross-replica (synchronized) batch normalisation over input [N, C, ...]. In training mode the per-channel
    /// mean and variance are those of the global batch (all ranks' inputs together: sum, sum of squares and count
    /// are allreduced), the running statistics (when given) are updated with the global mean and unbiased
    /// variance, and the backward pass allreduces the gradient of those sums, so the input gradient is that of the
    /// global batch; the weight and bias gradients stay local (the data-parallel gradient allreduce sums them). With
    /// one process it equals <c>nn.functional.batch_norm</c>. In eval mode it uses the running statistics and does not
    /// communicate. Every rank must call it (training) in the same order, with inputs that agree on requires_grad.
    /// A collective that fails inside the backward pass cannot throw there (autograd runs it from native code): the
    /// gradient becomes NaN and the group fails, so the next collective on it throws the failure.
    /// </summary>
    public static Tensor sync_batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
        bool training = true, double momentum = 0.1, double eps = 1e-5, ProcessGroup? group = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = training ? group ?? get_default_group() : group;
        SyncBatchNorm.Check(input, running_mean, running_var, weight, bias);
        if (!training)
        {
            if (running_mean is null)
                throw new ArgumentException("sync_batch_norm in eval mode needs running_mean and running_var");
            return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training: false, momentum, eps);
        }
        return SyncBatchNorm.Train(input, running_mean, running_var, weight, bias, momentum, eps, g!, timeout);
    }
}
