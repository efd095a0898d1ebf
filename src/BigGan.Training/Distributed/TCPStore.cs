using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BigGan.Training.Distributed;

/// <summary>
/// The key-value rendezvous store over TCP (as torch.distributed.TCPStore), in managed code: the master (rank 0)
/// hosts it on the port; every process, the master included, joins as a client, and the constructor returns only
/// when all <c>world_size</c> processes have joined. Joining retries until <c>timeout</c>, then fails with a message
/// naming the address. Gloo exchanges its connection addresses through it; it also serves small values between
/// ranks (<see cref="set(string, byte[])"/>, <see cref="get"/>, <see cref="add"/>).
/// </summary>
public sealed class TCPStore : IDisposable
{
    private const string JoinedKey = "bgn/joined";
    private const string AllJoinedKey = "bgn/all_joined";

    private readonly StoreServer? _server;
    private readonly StoreClient _client;
    private int _groups;

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
        ProcessGroup.Milliseconds(timeout, nameof(timeout));
        this.host = host.Trim();
        this.port = port;
        this.world_size = world_size;
        this.is_master = is_master;
        this.timeout = timeout;
        var addr = Address;
        var deadline = DateTime.UtcNow + timeout;
        if (is_master)
        {
            try { _server = StoreServer.Start(this.host, port); }
            catch (SocketException e)
            {
                throw new DistributedException($"rendezvous failed on the master (rank 0): could not listen on {addr}: {e.Message}. " +
                    "If the address is in use, pick another MASTER_PORT; MASTER_ADDR must be an address of this machine.", timedOut: false, e);
            }
        }
        try
        {
            _client = StoreClient.Connect(this.host, port, deadline, world_size, timeout);
            Join(deadline);
        }
        catch
        {
            _client?.Dispose();
            _server?.Dispose();
            throw;
        }
    }

    private string Address => $"{host}:{port}";

    private string Seconds => ProcessGroup.Seconds(timeout);

    // Counts the processes that joined, so a wrong WORLD_SIZE fails here with a clear message instead of deep inside
    // Gloo's connection setup. The process that completes the count releases the others through one key.
    private void Join(DateTime deadline)
    {
        long joined = 0;
        try
        {
            joined = add(JoinedKey, 1);
            if (joined == world_size) set(AllJoinedKey, [1]);
            if (joined > world_size)
                throw new DistributedException($"rendezvous at {Address}: {joined} processes joined but WORLD_SIZE={world_size}: " +
                    "more processes than WORLD_SIZE use this MASTER_ADDR/MASTER_PORT.", timedOut: false);
            var left = deadline - DateTime.UtcNow;
            if (_client.TryGet(AllJoinedKey, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) is null)
            {
                joined = add(JoinedKey, 0);
                throw new DistributedException($"rendezvous at {Address} timed out after {Seconds}: only {joined} of WORLD_SIZE={world_size} " +
                    "processes joined: check that WORLD_SIZE equals the number of processes started and that every rank uses the same MASTER_ADDR/MASTER_PORT.",
                    timedOut: true);
            }
        }
        catch (DistributedException e) when (e.InnerException is IOException or SocketException or ObjectDisposedException)
        {
            throw new DistributedException($"rendezvous at {Address} lost the master while waiting for WORLD_SIZE={world_size} processes to join " +
                $"({joined} had joined): {e.InnerException!.Message}. The master (rank 0) exits when fewer processes join within the timeout: " +
                "check that WORLD_SIZE equals the number of processes started.", timedOut: false, e);
        }
    }

    /// <summary>Stores the value under the key (replacing any earlier one).</summary>
    public void set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _client.Set(key, value);
    }

    public void set(string key, string value) => set(key, Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))));

    /// <summary>Waits (at most the store's timeout) until the key is set, and returns its value.</summary>
    public byte[] get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Get(key, timeout);
    }

    public string get_string(string key) => Encoding.UTF8.GetString(get(key));

    /// <summary>Adds <paramref name="value"/> to the 64-bit counter under the key (0 when new) and returns the sum.</summary>
    public long add(string key, long value)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _client.Add(key, value);
    }

    internal byte[] Get(string key, TimeSpan wait) =>
        _client.TryGet(key, wait) ?? throw new DistributedException(
            $"store get of '{key}' timed out after {ProcessGroup.Seconds(wait)} (rendezvous store at {Address}): the rank that should set it is missing, stuck or dead", timedOut: true);

    internal void Wait(IReadOnlyList<string> keys, TimeSpan wait)
    {
        if (!_client.Wait(keys, wait))
            throw new DistributedException(
                $"store wait for {string.Join(", ", keys.Select(k => "'" + k + "'"))} timed out after {ProcessGroup.Seconds(wait)} (rendezvous store at {Address}): a rank is missing, stuck or dead", timedOut: true);
    }

    /// <summary>The key prefix of the next process group over this store (the same sequence on every rank).</summary>
    internal string NextGroupPrefix() => $"bgn/group{Interlocked.Increment(ref _groups) - 1}/";

    public void Dispose()
    {
        _client.Dispose();
        _server?.Dispose();
    }

    public override string ToString() => $"TCPStore({Address}, world size {world_size}{(is_master ? ", master" : "")})";

    private enum Op : byte { Set = 1, Get = 2, Add = 3, Wait = 4 }

    private enum Reply : byte { Ok = 0, TimedOut = 1 }

    /// <summary>One connection to the store, used under a lock (requests are strictly request-reply).</summary>
    private sealed class StoreClient : IDisposable
    {
        // A reply to a waiting request may take its whole wait; past this margin the master is taken for stuck.
        private static readonly TimeSpan ReplyMargin = TimeSpan.FromSeconds(10);

        private readonly TcpClient _tcp;
        private readonly BinaryReader _reader;
        private readonly BinaryWriter _writer;
        private readonly string _address;
        private readonly object _gate = new();
        private readonly TimeSpan _timeout;
        private string? _broken;

        private StoreClient(TcpClient tcp, string address, TimeSpan timeout)
        {
            _tcp = tcp;
            _address = address;
            _timeout = timeout;
            var stream = tcp.GetStream();
            _reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            _writer = new BinaryWriter(new BufferedStream(stream), Encoding.UTF8, leaveOpen: false);
        }

        /// <summary>Connects, retrying while nobody listens (the master may start later), until the deadline.</summary>
        public static StoreClient Connect(string host, int port, DateTime deadline, int worldSize, TimeSpan timeout)
        {
            var address = $"{host}:{port}";
            Exception? last = null;
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                var tcp = new TcpClient { NoDelay = true };
                try
                {
                    using var cts = new CancellationTokenSource(left);
                    tcp.ConnectAsync(host, port, cts.Token).AsTask().GetAwaiter().GetResult();
                    return new StoreClient(tcp, address, timeout);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    tcp.Dispose();
                    last = e;
                    if (e is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData })
                        break; // a name that does not resolve will not start resolving
                }
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(100, Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds))));
            }
            throw new DistributedException(
                $"rendezvous failed: could not join the master at {address} (WORLD_SIZE={worldSize}, timeout {ProcessGroup.Seconds(timeout)}): " +
                $"{(last is SocketException s ? s.Message : "nobody accepted the connection in time")}. Check that rank 0 is running and that MASTER_ADDR/MASTER_PORT point at it.",
                timedOut: true, last);
        }

        public void Set(string key, byte[] value) => Request(w =>
        {
            w.Write((byte)Op.Set);
            w.Write(key);
            w.Write(value.Length);
            w.Write(value);
        }, r => 0, _timeout);

        public long Add(string key, long delta) => Request(w =>
        {
            w.Write((byte)Op.Add);
            w.Write(key);
            w.Write(delta);
        }, r => r.ReadInt64(), _timeout);

        /// <summary>The value, waiting at most <paramref name="wait"/> for the key to be set; null on timeout.</summary>
        public byte[]? TryGet(string key, TimeSpan wait) => Request(w =>
        {
            w.Write((byte)Op.Get);
            w.Write(key);
            w.Write(Milliseconds(wait));
        }, r => r.ReadInt32() is var n and >= 0 ? r.ReadBytes(n) : null, wait);

        public bool Wait(IReadOnlyList<string> keys, TimeSpan wait) => Request(w =>
        {
            w.Write((byte)Op.Wait);
            w.Write(keys.Count);
            foreach (var k in keys) w.Write(k);
            w.Write(Milliseconds(wait));
        }, r => true, wait);

        private static long Milliseconds(TimeSpan t) => Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds));

        // Sends one request and reads its reply; null when the server answered that the wait timed out.
        private T? Request<T>(Action<BinaryWriter> write, Func<BinaryReader, T> read, TimeSpan wait)
        {
            lock (_gate)
            {
                if (_broken is not null)
                    throw new DistributedException($"the connection to the rendezvous store at {_address} failed earlier ({_broken})", timedOut: false);
                try
                {
                    _tcp.ReceiveTimeout = (int)Math.Min(int.MaxValue, Milliseconds(wait + ReplyMargin));
                    write(_writer);
                    _writer.Flush();
                    return (Reply)_reader.ReadByte() == Reply.Ok ? read(_reader) : default;
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
                {
                    _broken = e.Message;
                    throw new DistributedException($"lost the connection to the rendezvous store at {_address}: {e.Message}", timedOut: false, e);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate) _broken ??= "the store was disposed";
            _writer.Dispose();
            _reader.Dispose();
            _tcp.Dispose();
        }
    }

    /// <summary>The master's server: a dictionary behind a lock, one thread per connected rank.</summary>
    private sealed class StoreServer : IDisposable
    {
        private const long MaxWaitMs = 30L * 24 * 3600 * 1000;

        private readonly TcpListener _listener;
        private readonly Dictionary<string, byte[]> _data = new(StringComparer.Ordinal);
        private readonly List<TcpClient> _connections = [];
        private readonly object _gate = new();
        private bool _stopped;

        private StoreServer(TcpListener listener) => _listener = listener;

        public static StoreServer Start(string host, int port)
        {
            var listener = new TcpListener(BindAddress(host), port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start(backlog: 128);
            var server = new StoreServer(listener);
            new Thread(server.AcceptLoop) { IsBackground = true, Name = $"TCPStore server {host}:{port}" }.Start();
            return server;
        }

        // A loopback master stays on loopback; otherwise every interface, as torch's TCPStore.
        private static IPAddress BindAddress(string host)
        {
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
            if (IPAddress.TryParse(host, out var ip))
                return IPAddress.IsLoopback(ip) ? ip : ip.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            return IPAddress.Any;
        }

        private void AcceptLoop()
        {
            while (true)
            {
                TcpClient client;
                try { client = _listener.AcceptTcpClient(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
                lock (_gate)
                {
                    if (_stopped)
                    {
                        client.Dispose();
                        return;
                    }
                    _connections.Add(client);
                }
                client.NoDelay = true;
                new Thread(() => Serve(client)) { IsBackground = true, Name = "TCPStore connection" }.Start();
            }
        }

        private void Serve(TcpClient client)
        {
            try
            {
                using var stream = client.GetStream();
                using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
                using var writer = new BinaryWriter(new BufferedStream(stream), Encoding.UTF8, leaveOpen: true);
                while (true)
                {
                    int op;
                    try { op = stream.ReadByte(); }
                    catch (IOException) { return; }
                    if (op < 0) return;
                    switch ((Op)op)
                    {
                        case Op.Set:
                        {
                            var key = reader.ReadString();
                            var value = reader.ReadBytes(reader.ReadInt32());
                            lock (_gate)
                            {
                                _data[key] = value;
                                Monitor.PulseAll(_gate);
                            }
                            writer.Write((byte)Reply.Ok);
                            break;
                        }
                        case Op.Add:
                        {
                            var key = reader.ReadString();
                            var delta = reader.ReadInt64();
                            long sum;
                            lock (_gate)
                            {
                                sum = (_data.TryGetValue(key, out var old) && old.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(old) : 0) + delta;
                                var bytes = new byte[8];
                                BinaryPrimitives.WriteInt64LittleEndian(bytes, sum);
                                _data[key] = bytes;
                                Monitor.PulseAll(_gate);
                            }
                            writer.Write((byte)Reply.Ok);
                            writer.Write(sum);
                            break;
                        }
                        case Op.Get:
                        {
                            var key = reader.ReadString();
                            var ms = reader.ReadInt64();
                            byte[]? value = null;
                            WaitFor(ms, () => _data.TryGetValue(key, out value));
                            if (value is null) writer.Write((byte)Reply.TimedOut);
                            else
                            {
                                writer.Write((byte)Reply.Ok);
                                writer.Write(value.Length);
                                writer.Write(value);
                            }
                            break;
                        }
                        case Op.Wait:
                        {
                            var keys = new string[reader.ReadInt32()];
                            for (int i = 0; i < keys.Length; i++) keys[i] = reader.ReadString();
                            var ms = reader.ReadInt64();
                            writer.Write((byte)(WaitFor(ms, () => keys.All(_data.ContainsKey)) ? Reply.Ok : Reply.TimedOut));
                            break;
                        }
                        default:
                            return; // not our protocol: drop the connection
                    }
                    writer.Flush();
                }
            }
            catch (Exception)
            {
                // The rank went away or sent garbage: only its connection ends (an exception escaping a thread
                // would take the whole process down).
            }
            finally
            {
                lock (_gate) _connections.Remove(client);
                client.Dispose();
            }
        }

        // Waits under the lock until the condition holds, the time is up, or the server stops.
        private bool WaitFor(long ms, Func<bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, MaxWaitMs));
            lock (_gate)
            {
                while (!condition())
                {
                    var left = deadline - DateTime.UtcNow;
                    if (_stopped || left <= TimeSpan.Zero) return false;
                    Monitor.Wait(_gate, left > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : left);
                }
                return true;
            }
        }

        public void Dispose()
        {
            TcpClient[] open;
            lock (_gate)
            {
                _stopped = true;
                open = [.. _connections];
                Monitor.PulseAll(_gate);
            }
            _listener.Stop();
            foreach (var c in open) c.Dispose();
        }
    }
}
