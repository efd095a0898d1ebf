using System.Text;
using BigGan.Torch.Native;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>
/// c10d's key-value rendezvous store over TCP (as torch.distributed.TCPStore). The master (rank 0) listens on the
/// port; every process, the master included, joins, and the master's constructor returns only when all
/// <c>world_size</c> processes have joined. Joining retries until <c>timeout</c>, then fails with a message naming
/// the address. Also usable to exchange small values between ranks (<c>set</c>, <see cref="get"/>).
/// </summary>
public sealed class TCPStore : IDisposable
{
    internal StoreHandle Handle { get; }

    public string host { get; }
    public int port { get; }
    public int world_size { get; }
    public bool is_master { get; }
    public TimeSpan timeout { get; }

    public TCPStore(string host, int port, int world_size, bool is_master, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "the master port must be in 1..65535");
        if (world_size < 1) throw new ArgumentOutOfRangeException(nameof(world_size), world_size, "world size must be at least 1");
        var ms = ProcessGroup.Milliseconds(timeout, nameof(timeout));
        DistributedException.Check(N.bgn_dist_store_create(host, port, world_size, is_master ? 1 : 0, ms, out var h));
        Handle = h;
        this.host = host;
        this.port = port;
        this.world_size = world_size;
        this.is_master = is_master;
        this.timeout = timeout;
    }

    public unsafe void set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        fixed (byte* p = value) DistributedException.Check(N.bgn_dist_store_set(Handle, key, p, value.Length));
    }

    public void set(string key, string value) => set(key, Encoding.UTF8.GetBytes(value));

    /// <summary>Waits (at most the store's timeout) until the key is set, and returns its value.</summary>
    public byte[] get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        DistributedException.Check(N.bgn_dist_store_get(Handle, key, out var h));
        using var t = new Tensor(h).DetachFromDisposeScope();
        return t.numel() == 0 ? [] : t.data<byte>();
    }

    public string get_string(string key) => Encoding.UTF8.GetString(get(key));

    public void Dispose() => Handle.Dispose();
}
