using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace BigGan.Training.Data;

/// <summary>
/// Endless shuffled batches from an <see cref="IImageDataset"/>: images scaled from [0, 255] to [-1, 1] as float32
/// [N, C, H, W] (x / 255 then (x - 0.5) / 0.5, in float32 as torchvision's ToTensor + Normalize), int64 labels [N].
/// Each epoch visits every item once in an order drawn from (seed, epoch); a batch that would cross the end of an
/// epoch is not formed: the rest of the epoch is dropped (as drop_last) and the batch starts the next epoch. Batch
/// sizes may differ from call to call.
/// <para>
/// A background thread decodes, scales and flips items into pinned float buffers ahead of the trainer; the consumer
/// only copies them into new tensors, on its own thread (so dispose scopes own them). <see cref="Next"/> is meant
/// for one consumer thread.
/// </para>
/// <para>
/// Sharded (<see cref="BatchSourceOptions.ShardCount"/> &gt; 1, data-parallel training): every process walks the same
/// item stream (same seed) through the same global batches, but decodes and returns only the items at the stream
/// positions of its shard (index, index + count, …). Positions stay multiples of the shard count (batch sizes must be
/// multiples of it; epochs start at 0), so the shards of a batch are disjoint and together make the unsharded batch;
/// the saved state is the same for every shard and shard count.
/// </para>
/// </summary>
public sealed class ShuffledBatchSource : IBatchSource
{
    private const int StateFormat = 1;
    private static readonly float[] Scale = BuildScale();

    private readonly IImageDataset _dataset;
    private readonly BatchSourceOptions _options;
    private readonly int _itemSize;
    private readonly int _chunkItems;
    private readonly ConcurrentBag<Chunk> _free = new();

    // The consumer's position: the next batch starts at position `Position` of epoch `Epoch` (of the common stream).
    // Chunks and the producer count in shard items: shard item m is stream position ShardIndex + m * ShardCount.
    private long _epoch;
    private int _position;
    private Chunk? _current;
    private float[] _staging = [];
    private long[] _labelStaging = [];

    // Producer state, guarded by _lock.
    private readonly object _lock = new();
    private readonly Queue<Chunk> _queue = new();
    private int _queuedItems;
    private int _capacityItems;
    private bool _stopping;
    private Thread? _thread;
    private Producer? _inline;
    private bool _disposed;
    private ExceptionDispatchInfo? _failure;

    public ShuffledBatchSource(IImageDataset dataset, BatchSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _options = (options ?? new BatchSourceOptions()).Validate();
        if (dataset.Count < 1) throw new ArgumentException($"{dataset.Source}: the dataset is empty", nameof(dataset));
        if (dataset.Channels is not (1 or 3)) throw new ArgumentException($"{dataset.Source}: {dataset.Channels} channels; 1 or 3 expected", nameof(dataset));
        if (dataset.Count < _options.ShardCount)
            throw new ArgumentException($"{dataset.Source}: {dataset.Count} items cannot be shared by {_options.ShardCount} processes", nameof(dataset));
        _dataset = dataset;
        _itemSize = dataset.Channels * dataset.Resolution * dataset.Resolution;
        // About 4 MiB of floats per chunk, at most 32 items: small images travel in bulk, big ones one by one.
        _chunkItems = Math.Clamp((4 << 20) / (_itemSize * sizeof(float)), 1, 32);
        _capacityItems = Math.Max(1, _options.PrefetchBatches) * Math.Min(64, dataset.Count);
        StartProducer();
    }

    public IImageDataset Dataset => _dataset;
    public int NumClasses => _dataset.NumClasses;
    public int Channels => _dataset.Channels;
    public int Resolution => _dataset.Resolution;
    public IReadOnlyList<string> ClassNames => _dataset.ClassNames;
    public int ShardCount => _options.ShardCount;

    /// <summary>The epoch the next batch comes from (0-based).</summary>
    public long Epoch => _epoch;

    /// <summary>The position in the epoch's order of the next item.</summary>
    public int Position => _position;

    public (Tensor images, Tensor labels) Next(int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _failure?.Throw(); // the producer has stopped at a bad item: every later call fails the same way
        int count = _dataset.Count;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        if (batchSize > count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"{_dataset.Source}: a batch of {batchSize} is larger than the dataset ({count} items)");
        int shards = _options.ShardCount;
        if (batchSize % shards != 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"a global batch of {batchSize} does not split into {shards} equal shards");
        int local = batchSize / shards;
        RaiseCapacity(local);

        if (count - _position < batchSize) { _epoch++; _position = 0; }
        int floats = local * _itemSize;
        if (_staging.Length < floats) _staging = GC.AllocateUninitializedArray<float>(floats, pinned: true);
        if (_labelStaging.Length < local) _labelStaging = new long[local];

        int first = _position / shards; // this shard's first item of the batch
        for (int k = 0; k < local;)
        {
            var chunk = ChunkHolding(_epoch, first + k);
            int offset = first + k - chunk.Start, n = Math.Min(chunk.Count - offset, local - k);
            chunk.Pixels.AsSpan(offset * _itemSize, n * _itemSize).CopyTo(_staging.AsSpan(k * _itemSize));
            chunk.Labels.AsSpan(offset, n).CopyTo(_labelStaging.AsSpan(k));
            k += n;
        }
        _position += batchSize;
        if (_position == count) { _epoch++; _position = 0; }

        int r = _dataset.Resolution;
        var images = TensorData.FromSpan<float>(_staging.AsSpan(0, floats), [local, _dataset.Channels, r, r]);
        var labels = TensorData.FromSpan<long>(_labelStaging.AsSpan(0, local), [local]);
        return (images, labels);
    }

    public string SaveState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return JsonSerializer.Serialize(new State(StateFormat, _options.Seed, _epoch, _position, _dataset.Count, _options.HorizontalFlip));
    }

    public void LoadState(string state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(state);
        State s;
        try { s = JsonSerializer.Deserialize<State>(state) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new ArgumentException($"not a batch source state: {e.Message}", nameof(state), e); }
        if (s.Format != StateFormat) throw new ArgumentException($"batch source state format {s.Format}; this version reads {StateFormat}", nameof(state));
        if (s.Count != _dataset.Count)
            throw new ArgumentException($"the saved state is for a dataset of {s.Count} items but {_dataset.Source} holds {_dataset.Count}: it is not the same data", nameof(state));
        if (s.Seed != _options.Seed || s.Flip != _options.HorizontalFlip)
            throw new ArgumentException($"the saved state was made with seed {s.Seed} and flip {s.Flip}, this source has seed {_options.Seed} and flip {_options.HorizontalFlip}", nameof(state));
        if (s.Epoch < 0 || s.Position < 0 || s.Position >= s.Count)
            throw new ArgumentException($"the saved position (epoch {s.Epoch}, item {s.Position}) is out of range", nameof(state));
        if (s.Position % _options.ShardCount != 0)
            throw new ArgumentException($"the saved position (item {s.Position}) does not split into {_options.ShardCount} shards: " +
                                        "resume with a number of processes that divides the batch size the run was trained with", nameof(state));

        StopProducer();
        _failure = null;
        _epoch = s.Epoch;
        _position = s.Position;
        StartProducer();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        StopProducer();
    }

    // ---- consumer side ----

    /// <summary>The chunk holding shard item (epoch, position), dropping the chunks before it.</summary>
    private Chunk ChunkHolding(long epoch, int position)
    {
        while (true)
        {
            if (_current is { } c)
            {
                if (c.Epoch == epoch && position >= c.Start && position < c.Start + c.Count) return c;
                if (c.Epoch > epoch || (c.Epoch == epoch && c.Start > position))
                    throw new InvalidOperationException($"batch source out of step: wanted item {position} of epoch {epoch}, got a chunk starting at item {c.Start} of epoch {c.Epoch}");
                _free.Add(c);
                _current = null;
            }
            var next = Take();
            if (next.Error is { } error)
            {
                _failure = error;
                error.Throw();
            }
            _current = next;
        }
    }

    private Chunk Take()
    {
        if (_inline is { } p) return p.Produce(Rent());
        lock (_lock)
        {
            while (_queue.Count == 0) Monitor.Wait(_lock);
            var chunk = _queue.Dequeue();
            _queuedItems -= chunk.Count;
            Monitor.PulseAll(_lock);
            return chunk;
        }
    }

    private void RaiseCapacity(int batchSize)
    {
        int wanted = (int)Math.Min(int.MaxValue, (long)Math.Max(1, _options.PrefetchBatches) * batchSize);
        if (wanted <= _capacityItems) return;
        lock (_lock)
        {
            _capacityItems = wanted;
            Monitor.PulseAll(_lock);
        }
    }

    private Chunk Rent() => _free.TryTake(out var c) ? c : new Chunk(_chunkItems, _itemSize);

    // ---- producer side ----

    private void StartProducer()
    {
        var producer = new Producer(this, _epoch, _position / _options.ShardCount);
        if (_options.PrefetchBatches == 0)
        {
            _inline = producer;
            return;
        }
        _stopping = false;
        _thread = new Thread(() => Run(producer)) { IsBackground = true, Name = "BigGan batch prefetch" };
        _thread.Start();
    }

    private void StopProducer()
    {
        if (_thread is { } t)
        {
            lock (_lock)
            {
                _stopping = true;
                Monitor.PulseAll(_lock);
            }
            t.Join();
            _thread = null;
        }
        _inline = null;
        while (_queue.TryDequeue(out var c)) _free.Add(c);
        _queuedItems = 0;
        if (_current is not null) { _free.Add(_current); _current = null; }
    }

    private void Run(Producer producer)
    {
        while (true)
        {
            lock (_lock)
            {
                while (!_stopping && _queuedItems >= _capacityItems) Monitor.Wait(_lock);
                if (_stopping) return;
            }
            var chunk = producer.Produce(Rent());
            lock (_lock)
            {
                _queue.Enqueue(chunk);
                _queuedItems += chunk.Count;
                Monitor.PulseAll(_lock);
            }
            if (chunk.Error is not null) return; // the consumer rethrows it when it gets there
        }
    }

    /// <summary>Walks this shard's items of the stream from a position (in shard items), filling chunks: the same code
    /// runs on the thread or inline.</summary>
    private sealed class Producer(ShuffledBatchSource source, long epoch, int position)
    {
        private readonly int _shards = source._options.ShardCount, _shard = source._options.ShardIndex;
        private readonly byte[] _pixels = new byte[source._itemSize];
        private EpochShuffle? _shuffle;
        private long _epoch = epoch;
        private int _position = position;

        public Chunk Produce(Chunk chunk)
        {
            var dataset = source._dataset;
            int count = dataset.Count, items = (count - 1 - _shard) / _shards + 1, n = Math.Min(source._chunkItems, items - _position);
            chunk.Epoch = _epoch;
            chunk.Start = _position;
            chunk.Count = n;
            chunk.Error = null;
            try
            {
                if (_shuffle?.Epoch != _epoch) _shuffle = new EpochShuffle(source._options.Seed, _epoch, count, source._options.HorizontalFlip);
                int c = dataset.Channels, r = dataset.Resolution;
                for (int k = 0; k < n; k++)
                {
                    int p = _shard + (_position + k) * _shards;
                    chunk.Labels[k] = dataset.Read(_shuffle.Order[p], _pixels);
                    ScaleInto(_pixels, chunk.Pixels.AsSpan(k * source._itemSize, source._itemSize), c, r, _shuffle.Flips?[p] ?? false);
                }
            }
            catch (Exception e)
            {
                chunk.Error = ExceptionDispatchInfo.Capture(e);
            }
            _position += n;
            if (_position == items) { _epoch++; _position = 0; }
            return chunk;
        }
    }

    /// <summary>uint8 CHW → float [-1, 1] CHW, mirrored left-right when asked.</summary>
    private static void ScaleInto(ReadOnlySpan<byte> pixels, Span<float> destination, int channels, int resolution, bool flip)
    {
        var scale = Scale.AsSpan();
        if (!flip)
        {
            for (int i = 0; i < pixels.Length; i++) destination[i] = scale[pixels[i]];
            return;
        }
        for (int row = 0; row < channels * resolution; row++)
        {
            var src = pixels.Slice(row * resolution, resolution);
            var dst = destination.Slice(row * resolution, resolution);
            for (int x = 0; x < resolution; x++) dst[x] = scale[src[resolution - 1 - x]];
        }
    }

    private static float[] BuildScale()
    {
        var t = new float[256];
        for (int v = 0; v < 256; v++) t[v] = (v / 255f - 0.5f) / 0.5f;
        return t;
    }

    private sealed class Chunk(int items, int itemSize)
    {
        public readonly float[] Pixels = GC.AllocateUninitializedArray<float>(items * itemSize, pinned: true);
        public readonly long[] Labels = new long[items];
        public long Epoch;
        public int Start;
        public int Count;
        public ExceptionDispatchInfo? Error;
    }

    private sealed record State(
        [property: JsonPropertyName("format")] int Format,
        [property: JsonPropertyName("seed")] long Seed,
        [property: JsonPropertyName("epoch")] long Epoch,
        [property: JsonPropertyName("position")] int Position,
        [property: JsonPropertyName("count")] int Count,
        [property: JsonPropertyName("flip")] bool Flip);
}
