using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace BigGan.Training.Distributed;

/// <summary>
/// A group of processes that run collectives together, on Gloo over TCP (CPU; TorchSharp has no distributed API,
/// so this is BigGan's own, through native/libbiggan_gloo.so). Every collective blocks until done and is bounded by
/// a timeout (the group's, unless one is given): a peer that died or stopped answering becomes a
/// <see cref="DistributedException"/>, never a hang. After such an error the group is unusable: dispose it and exit.
/// Every rank must issue the same collectives, on tensors of the same shapes and dtypes, in the same order. Not for
/// concurrent use from several threads.
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>The bucket size <see cref="allreduce_coalesced"/> uses by default (25 MiB, as DistributedDataParallel).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    // Gloo reads tensors through Span-sized windows (TorchSharp's Tensor.bytes); larger tensors go in chunks.
    private const long ChunkBytes = 1L << 30;

    private readonly TCPStore? _ownedStore;
    private readonly GlooNative.Api _api;
    private IntPtr _context;
    private string? _failure;
    private readonly int _rank, _size;

    /// <summary>"gloo" (the only backend of this build).</summary>
    public string backend { get; }
    public TimeSpan timeout { get; }
    /// <summary>Whether each collective first checks that all ranks agree on it (see the constructor).</summary>
    public bool check_collectives { get; }
    /// <summary>Index of this process on its machine (LOCAL_RANK; equals the rank when not given).</summary>
    public int local_rank { get; }
    /// <summary>The rendezvous store, when this group was created by init_process_group (it then owns it).</summary>
    public TCPStore? store => _ownedStore;

    /// <summary>
    /// Creates a group over a rendezvous store: every rank connects to every other over TCP (Gloo's full mesh),
    /// exchanging addresses through the store. The store is only needed while the group is created. With
    /// <paramref name="check_collectives"/> every collective first checks, with one tiny extra allreduce, that all
    /// ranks are doing the same thing (same collective, dtypes, sizes, root): a mismatch then fails on every rank with
    /// a clear <see cref="DistributedException"/>, where Gloo itself would abort the process.
    /// </summary>
    public ProcessGroup(TCPStore store, int rank, int world_size, string backend = "gloo", TimeSpan? timeout = null, int? local_rank = null,
        bool check_collectives = true)
        : this(store, rank, world_size, backend, timeout ?? distributed.default_pg_timeout, local_rank, check_collectives, ownsStore: false) { }

    internal unsafe ProcessGroup(TCPStore store, int rank, int world_size, string backend, TimeSpan timeout, int? local_rank, bool check_collectives, bool ownsStore)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (world_size < 1) throw new ArgumentOutOfRangeException(nameof(world_size), world_size, "world size must be at least 1");
        if (rank < 0 || rank >= world_size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{world_size - 1}");
        CheckBackend(backend);
        var ms = Milliseconds(timeout, nameof(timeout));
        _api = GlooNative.Library;
        this.backend = "gloo";
        this.timeout = timeout;
        _rank = rank;
        _size = world_size;
        this.local_rank = local_rank ?? rank;
        this.check_collectives = check_collectives;

        // Each group gets its own key space in the store (Gloo's setup keys would collide otherwise). Two processes
        // claiming one rank would deadlock Gloo's setup; catch it here.
        var prefix = store.NextGroupPrefix();
        var claims = store.add($"{prefix}claimed/rank{rank}", 1);
        if (claims > 1)
            throw new ArgumentException($"rank {rank} was claimed by {claims} processes: every process needs its own RANK in 0..{world_size - 1}");

        var (hostname, iface) = LocalAddress(store.host);
        var view = GCHandle.Alloc(new StoreView(store, prefix));
        try
        {
            var callbacks = new GlooStoreCallbacks
            {
                State = GCHandle.ToIntPtr(view),
                Set = &StoreSet,
                Get = &StoreGet,
                Wait = &StoreWait,
            };
            var h = GlooNative.Utf8z(hostname);
            var i = GlooNative.Utf8z(iface);
            IntPtr context;
            int rc;
            fixed (byte* hp = h)
            fixed (byte* ip = i)
                rc = _api.Connect(&callbacks, hp, ip, rank, world_size, ms, &context);
            if (rc != GlooStatus.Ok)
            {
                var why = _api.Error();
                if (rc == GlooStatus.Argument) throw new ArgumentException($"gloo process group setup: {why}");
                throw new DistributedException($"gloo process group setup failed on {Where} (timeout {Seconds(ms)}): {why.TrimEnd('.')}. " +
                    "Every rank 0..WORLD_SIZE-1 must start; check WORLD_SIZE and RANK.", rc == GlooStatus.Timeout);
            }
            _context = context;
        }
        finally
        {
            view.Free();
        }
        try
        {
            // No rank leaves the setup before every rank has connected (rank 0 may exit, taking the store with it).
            barrier();
        }
        catch
        {
            Dispose();
            throw;
        }
        if (ownsStore) _ownedStore = store;
    }

    public int rank() => _rank;
    public int size() => _size;

    public bool IsDisposed => _context == IntPtr.Zero;

    private string Where => $"rank {_rank} of {_size}, backend gloo";

    /// <summary>Reduces the tensor in place across all ranks (every rank ends with the result).</summary>
    public void allreduce(Tensor tensor, ReduceOp op = ReduceOp.SUM, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var comm = ReduceType(tensor, op, "all_reduce");
        var ms = Timeout(timeout);
        var what = $"all_reduce({Describe(tensor)}, op {op})";
        ThrowIfUnusable();
        CheckSame(what, ms);
        using var _ = no_grad();
        if (tensor.numel() == 0) return;
        WithCpuBuffer(tensor, comm, buffer =>
        {
            Allreduce(buffer, GlooOp.Sum, ms, what);
            if (op == ReduceOp.AVG && _size > 1) buffer.div_(_size);
        });
    }

    /// <summary>
    /// Reduces every tensor in place, communicating in buckets: the tensors are flattened (per dtype, in list order)
    /// into buffers of at most <paramref name="bucket_bytes"/>, each reduced in one message, and copied back. This is
    /// the gradient allreduce of data-parallel training (op AVG on the parameters' gradients).
    /// </summary>
    public void allreduce_coalesced(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.SUM, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null)
    {
        CheckList(tensors, bucket_bytes);
        foreach (var t in tensors) ReduceType(t, op, "all_reduce_coalesced");
        Bucketed(tensors, op, src: -1, bucket_bytes, Timeout(timeout));
    }

    /// <summary>Overwrites the tensor on every rank with rank <paramref name="src"/>'s.</summary>
    public void broadcast(Tensor tensor, int src = 0, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckRank(src);
        var ms = Timeout(timeout);
        var what = $"broadcast({Describe(tensor)}, src {src})";
        ThrowIfUnusable();
        CheckSame(what, ms);
        using var _ = no_grad();
        if (tensor.numel() == 0) return;
        WithCpuBuffer(tensor, tensor.dtype, buffer => Broadcast(buffer, src, ms, what));
    }

    /// <summary>Broadcasts every tensor from rank <paramref name="src"/> in buckets (e.g. all parameters and buffers at start).</summary>
    public void broadcast_coalesced(IReadOnlyList<Tensor> tensors, int src = 0, long bucket_bytes = DefaultBucketBytes, TimeSpan? timeout = null)
    {
        CheckList(tensors, bucket_bytes);
        CheckRank(src);
        Bucketed(tensors, ReduceOp.SUM, src, bucket_bytes, Timeout(timeout));
    }

    /// <summary>Returns when every rank has reached the barrier.</summary>
    public void barrier(TimeSpan? timeout = null)
    {
        var ms = Timeout(timeout);
        ThrowIfUnusable();
        Check(_api.Barrier(_context, ms), "barrier", ms);
    }

    public void Dispose()
    {
        var context = _context;
        _context = IntPtr.Zero;
        if (context != IntPtr.Zero) _api.Destroy(context);
        _ownedStore?.Dispose();
    }

    public override string ToString() => $"ProcessGroup({backend}, rank {_rank} of {_size})";

    /// <summary>The effective timeout in milliseconds: the given one, or the group's.</summary>
    internal long Timeout(TimeSpan? timeout) => Milliseconds(timeout ?? this.timeout, nameof(timeout));

    internal static long Milliseconds(TimeSpan t, string name)
    {
        if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, t, "a timeout must be positive");
        return Math.Max(1, (long)Math.Ceiling(Math.Min(t.TotalMilliseconds, long.MaxValue / 2.0)));
    }

    internal static string Seconds(long ms) => (ms / 1000.0).ToString(CultureInfo.InvariantCulture) + " s";

    internal static string Seconds(TimeSpan t) => Seconds((long)Math.Ceiling(t.TotalMilliseconds));

    internal static void CheckBackend(string backend)
    {
        switch (backend?.ToLowerInvariant())
        {
            case "gloo": return;
            case "nccl":
                throw new ArgumentException("the nccl backend is not available: TorchSharp has no distributed API and BigGan's own engine speaks Gloo " +
                    "(CPU; CUDA tensors are reduced through CPU copies): use backend \"gloo\"", nameof(backend));
            default:
                throw new ArgumentException($"unknown distributed backend '{backend}': expected \"gloo\"", nameof(backend));
        }
    }

    /// <summary>Marks the group failed (e.g. a collective inside autograd's backward, which cannot throw): every
    /// later collective throws this failure instead of communicating.</summary>
    internal void Fail(string why, bool replace = false)
    {
        if (replace || _failure is null) _failure = why;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_failure is not null)
            throw new DistributedException($"the process group ({Where}) failed earlier and is no longer usable: {_failure}", timedOut: false);
    }

    private void Check(int rc, string what, long ms)
    {
        if (rc == GlooStatus.Ok) return;
        var why = _api.Error().TrimEnd('.', ' ', '\n');
        if (rc == GlooStatus.Argument) throw new ArgumentException($"{what}: {why}");
        var e = rc == GlooStatus.Timeout
            ? new DistributedException($"{what} timed out after {Seconds(ms)} ({Where}): a peer process is missing, stuck or dead. The process group is no longer usable. (Gloo: {why})", timedOut: true)
            : new DistributedException($"{what} failed ({Where}): {why}. A peer process may have died; the process group is no longer usable.", timedOut: false);
        Fail(e.Message);
        throw e;
    }

    // ---- buffers ----

    // Runs the collective on a contiguous CPU tensor of the communication dtype: the tensor itself when it is one,
    // else a copy whose result is copied back. NCCL would take CUDA pointers directly; Gloo reads host memory.
    private static void WithCpuBuffer(Tensor tensor, ScalarType comm, Action<Tensor> collective)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.dtype == comm && tensor.is_contiguous())
        {
            collective(tensor);
            return;
        }
        using var scope = NewDisposeScope();
        var buffer = tensor.to(comm, CPU).contiguous();
        collective(buffer);
        tensor.copy_(buffer);
    }

    private static unsafe IntPtr Pointer(Tensor contiguousCpu)
    {
        fixed (byte* p = contiguousCpu.bytes) return (IntPtr)p;
    }

    // Splits a contiguous CPU tensor into flat windows of at most ChunkBytes (one for all but huge tensors).
    private static List<Tensor> Chunks(Tensor buffer)
    {
        var n = buffer.numel();
        var per = Math.Max(1, ChunkBytes / buffer.element_size());
        var chunks = new List<Tensor>();
        var flat = buffer.view(-1);
        if (n <= per) return [flat];
        for (long off = 0; off < n; off += per) chunks.Add(flat.narrow(0, off, Math.Min(per, n - off)));
        flat.Dispose();
        return chunks;
    }

    private unsafe void Allreduce(Tensor buffer, GlooOp op, long ms, string what)
    {
        if (buffer.numel() == 0 || _size == 1) return;
        var chunks = Chunks(buffer);
        try
        {
            var ptrs = new IntPtr[chunks.Count];
            var counts = new long[chunks.Count];
            for (int i = 0; i < chunks.Count; i++)
            {
                ptrs[i] = Pointer(chunks[i]);
                counts[i] = chunks[i].numel();
            }
            int rc;
            fixed (IntPtr* p = ptrs)
            fixed (long* c = counts)
                rc = _api.Allreduce(_context, p, c, ptrs.Length, (int)GlooTypeOf(buffer.dtype), (int)op, ms);
            Check(rc, what, ms);
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    private void Broadcast(Tensor buffer, int src, long ms, string what)
    {
        if (buffer.numel() == 0 || _size == 1) return;
        var chunks = Chunks(buffer);
        try
        {
            foreach (var c in chunks)
                Check(_api.Broadcast(_context, Pointer(c), c.numel() * c.element_size(), src, ms), what, ms);
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    // The dtype a tensor is reduced in: its own when Gloo sums it, else a wider one that holds it exactly.
    private static ScalarType ReduceType(Tensor t, ReduceOp op, string name)
    {
        if (op is not (ReduceOp.SUM or ReduceOp.AVG))
            throw new ArgumentException($"{name}: unknown reduce op {(int)op} (expected SUM or AVG)", nameof(op));
        var dtype = t.dtype;
        if (op == ReduceOp.AVG && !t.is_floating_point())
            throw new ArgumentException($"{name} with AVG needs a floating-point tensor, got {dtype}", nameof(op));
        return dtype switch
        {
            ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.Int32 or ScalarType.Int64 or ScalarType.Byte => dtype,
            ScalarType.BFloat16 => ScalarType.Float32,
            ScalarType.Int8 or ScalarType.Int16 => ScalarType.Int64,
            _ => throw new ArgumentException($"{name} cannot reduce {dtype} tensors: expected a floating-point or integer dtype", nameof(t)),
        };
    }

    private static GlooType GlooTypeOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => GlooType.Float32,
        ScalarType.Float64 => GlooType.Float64,
        ScalarType.Float16 => GlooType.Float16,
        ScalarType.Int32 => GlooType.Int32,
        ScalarType.Int64 => GlooType.Int64,
        ScalarType.Byte => GlooType.UInt8,
        _ => throw new ArgumentException($"Gloo does not reduce {dtype} buffers"),
    };

    private static string Describe(Tensor t) => $"{t.dtype}[{t.numel()}]";

    // ---- agreement between ranks ----

    // Gloo aborts the whole process (std::terminate in its I/O thread) when ranks exchange buffers of different sizes,
    // so, unless disabled, the ranks first agree on what they are about to do: one tiny MAX-allreduce of a hash of the
    // collective's description and its negation tells every rank whether all hashes were equal.
    private unsafe void CheckSame(string what, long ms)
    {
        if (!check_collectives || _size == 1) return;
        ulong h = 14695981039346656037UL; // FNV-1a
        foreach (var b in Encoding.UTF8.GetBytes(what)) h = (h ^ b) * 1099511628211UL;
        var sig = (long)(h >> 2);
        var buffer = stackalloc long[2] { sig, -sig };
        var ptr = (IntPtr)buffer;
        long count = 2;
        Check(_api.Allreduce(_context, &ptr, &count, 1, (int)GlooType.Int64, (int)GlooOp.Max, ms), what, ms);
        if (buffer[0] != sig || buffer[1] != -sig)
            throw new DistributedException($"the ranks disagree on a collective ({Where}): this rank does {what}, another rank does something else. " +
                "Every rank must issue the same collectives, on tensors of the same dtypes and sizes, in the same order.", timedOut: false);
    }

    // ---- buckets ----

    // src < 0: allreduce with op; src >= 0: broadcast from rank src. Buckets are formed in list order per (dtype,
    // device), so every rank builds the same buckets from the same list.
    private void Bucketed(IReadOnlyList<Tensor> tensors, ReduceOp op, int src, long bucketBytes, long ms)
    {
        var name = src < 0 ? "all_reduce_coalesced" : "broadcast_coalesced";
        var what = new StringBuilder($"{name}(bucket {bucketBytes} B, op {op}, src {src}:");
        foreach (var t in tensors) what.Append(' ').Append(Describe(t));
        var description = what.Append(')').ToString();
        ThrowIfUnusable();
        CheckSame(description, ms);

        var closed = new List<List<Tensor>>();
        var open = new List<(ScalarType dtype, string device, List<Tensor> members, long bytes)>();
        foreach (var t in tensors)
        {
            var nb = t.numel() * t.element_size();
            if (nb == 0) continue;
            var device = t.device.ToString();
            var i = open.FindIndex(o => o.dtype == t.dtype && o.device == device);
            if (i >= 0 && open[i].bytes + nb > bucketBytes)
            {
                closed.Add(open[i].members);
                open.RemoveAt(i);
                i = -1;
            }
            if (i < 0)
            {
                open.Add((t.dtype, device, [], 0));
                i = open.Count - 1;
            }
            open[i].members.Add(t);
            open[i] = open[i] with { bytes = open[i].bytes + nb };
        }
        closed.AddRange(open.Select(o => o.members));

        using var _ = no_grad();
        foreach (var members in closed)
        {
            using var scope = NewDisposeScope();
            var dtype = members[0].dtype;
            var comm = src < 0 ? ReduceType(members[0], op, name) : dtype;
            var flat = cat(members.Select(m => m.reshape(-1)).ToArray()).to(comm, CPU).contiguous();
            if (src < 0)
            {
                Allreduce(flat, GlooOp.Sum, ms, description);
                if (op == ReduceOp.AVG && _size > 1) flat.div_(_size);
            }
            else Broadcast(flat, src, ms, description);
            long offset = 0;
            foreach (var m in members)
            {
                var n = m.numel();
                m.copy_(flat.narrow(0, offset, n).view(m.shape));
                offset += n;
            }
        }
    }

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

    // ---- rendezvous ----

    // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface; a loopback master keeps everything on loopback;
    // otherwise the address this host's name resolves to.
    private static (string hostname, string iface) LocalAddress(string masterAddr)
    {
        var ifname = Environment.GetEnvironmentVariable("GLOO_SOCKET_IFNAME");
        if (!string.IsNullOrWhiteSpace(ifname)) return ("", ifname.Trim());
        if (masterAddr.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(masterAddr, out var ip) && IPAddress.IsLoopback(ip)))
            return ("127.0.0.1", "");
        return (Dns.GetHostName(), "");
    }

    /// <summary>The store as Gloo's setup sees it: this group's key space.</summary>
    private sealed record StoreView(TCPStore Store, string Prefix);

    private static StoreView ViewOf(IntPtr state) => (StoreView)GCHandle.FromIntPtr(state).Target!;

    private static unsafe string Utf8(byte* s) => Marshal.PtrToStringUTF8((IntPtr)s) ?? "";

    // The callbacks run on the thread inside bgn_gloo_connect; no exception may cross back into native code.
    private static unsafe int Failed(Exception e, byte* err, int size)
    {
        GlooNative.WriteError(e.Message, err, size);
        return e switch
        {
            DistributedException { TimedOut: true } => GlooStatus.Timeout,
            DistributedException => GlooStatus.Io,
            ArgumentException => GlooStatus.Argument,
            _ => GlooStatus.Error,
        };
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int StoreSet(IntPtr state, byte* key, byte* data, long nbytes, byte* err, int errSize)
    {
        try
        {
            var v = ViewOf(state);
            v.Store.set(v.Prefix + Utf8(key), new ReadOnlySpan<byte>(data, checked((int)nbytes)).ToArray());
            return GlooStatus.Ok;
        }
        catch (Exception e) { return Failed(e, err, errSize); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int StoreGet(IntPtr state, byte* key, long timeoutMs, IntPtr sink, byte* err, int errSize)
    {
        try
        {
            var v = ViewOf(state);
            var value = v.Store.Get(v.Prefix + Utf8(key), TimeSpan.FromMilliseconds(Math.Max(1, timeoutMs)));
            int rc;
            fixed (byte* p = value) rc = GlooNative.Library.SinkPut(sink, p, value.Length);
            if (rc != GlooStatus.Ok) throw new InvalidOperationException(GlooNative.Library.Error());
            return GlooStatus.Ok;
        }
        catch (Exception e) { return Failed(e, err, errSize); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int StoreWait(IntPtr state, byte** keys, int nkeys, long timeoutMs, byte* err, int errSize)
    {
        try
        {
            var v = ViewOf(state);
            var list = new string[nkeys];
            for (int i = 0; i < nkeys; i++) list[i] = v.Prefix + Utf8(keys[i]);
            v.Store.Wait(list, TimeSpan.FromMilliseconds(Math.Max(1, timeoutMs)));
            return GlooStatus.Ok;
        }
        catch (Exception e) { return Failed(e, err, errSize); }
    }
}
