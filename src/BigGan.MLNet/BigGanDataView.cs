using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// The generated-row source: an <see cref="IDataView"/> over a <see cref="SyntheticImageSet"/>. Rows are pure functions
/// of their row id, so the row count is known, shuffling is a permutation of row ids, cursor sets split the (possibly
/// permuted) id range, and images are generated lazily, a batch at a time, only when an image column is active.
/// </summary>
internal sealed class BigGanDataView : IDataView
{
    private readonly SyntheticImageSet _set;
    private readonly int _batchSize;

    // Column indices; -1 when the option leaves the column out.
    private readonly int _rowIdCol, _labelCol, _classCol, _seedCol, _oneHotCol, _latentCol, _pixelsCol;

    public BigGanDataView(SyntheticImageSet set, BigGanDataOptions options)
    {
        if (set.Count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(set), set.Count, $"A BigGAN data view holds at most {int.MaxValue} rows.");
        _set = set;
        _batchSize = options.BatchSize;
        var r = set.Renderer;
        var names = set.ClassNames;

        var builder = new DataViewSchema.Builder();
        int next = 0;
        builder.AddColumn(BigGanColumns.RowId, NumberDataViewType.UInt64); _rowIdCol = next++;
        var keyValues = new DataViewSchema.Annotations.Builder();
        // "KeyValues" is ML.NET's annotation kind for key names (its helper for adding them is internal).
        keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, names.Count), (ref VBuffer<ReadOnlyMemory<char>> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, names.Count);
            for (int i = 0; i < names.Count; i++) editor.Values[i] = names[i].AsMemory();
            dst = editor.Commit();
        });
        builder.AddColumn(BigGanColumns.Label, new KeyDataViewType(typeof(uint), r.NumClasses), keyValues.ToAnnotations()); _labelCol = next++;
        builder.AddColumn(BigGanColumns.ClassIndex, NumberDataViewType.Int64); _classCol = next++;
        builder.AddColumn(BigGanColumns.Seed, NumberDataViewType.UInt64); _seedCol = next++;
        _oneHotCol = _latentCol = _pixelsCol = -1;
        if (options.IncludeClassOneHot) { builder.AddColumn(BigGanColumns.ClassOneHot, new VectorDataViewType(NumberDataViewType.Single, r.NumClasses)); _oneHotCol = next++; }
        if (options.IncludeLatent) { builder.AddColumn(BigGanColumns.Latent, new VectorDataViewType(NumberDataViewType.Single, r.DimZ)); _latentCol = next++; }
        if (options.IncludePixels)
        {
            builder.AddColumn(BigGanColumns.Pixels, new VectorDataViewType(NumberDataViewType.Single, r.OutputChannels, r.Resolution, r.Resolution));
            _pixelsCol = next++;
        }
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => true;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _set.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, Active(columnsNeeded), Order(rand), 0, (int)_set.Count, batch: 0);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var active = Active(columnsNeeded);
        var order = Order(rand);
        int count = (int)_set.Count;
        n = Math.Clamp(n, 1, Math.Max(1, count));
        // Contiguous slices of the serial order; batch k belongs to cursor k only, so the serial order is recoverable.
        var cursors = new DataViewRowCursor[n];
        for (int k = 0; k < n; k++)
            cursors[k] = new Cursor(this, active, order, (int)((long)count * k / n), (int)((long)count * (k + 1) / n), batch: k);
        return cursors;
    }

    private bool[] Active(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var c in columnsNeeded)
        {
            if (c.Index < 0 || c.Index >= Schema.Count || Schema[c.Index].Name != c.Name)
                throw new ArgumentException($"Column '{c.Name}' does not belong to this BigGAN data view.", nameof(columnsNeeded));
            active[c.Index] = true;
        }
        return active;
    }

    // A shuffled cursor visits a permutation of the row ids; the Random is only used here.
    private int[]? Order(Random? rand)
    {
        if (rand is null) return null;
        var order = new int[_set.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rand.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private sealed class Cursor : ActiveColumnsCursor
    {
        private readonly BigGanDataView _view;
        private readonly int[]? _order;
        private readonly int _start, _end;
        private readonly long _batch;

        private long _position = -1;
        private bool _done, _disposed;
        private SyntheticRequest _row;

        // Images of the rows at positions [_cacheFirst, _cacheFirst + _cacheCount) of this cursor.
        private long _cacheFirst = -1;
        private int _cacheCount;
        private float[]? _pixels, _latents;

        public Cursor(BigGanDataView view, bool[] active, int[]? order, int start, int end, long batch)
            : base(view.Schema, active, "BigGAN data view")
        {
            _view = view;
            _order = order;
            _start = start;
            _end = end;
            _batch = batch;
            Set<ulong>(view._rowIdCol, (ref ulong v) => v = (ulong)Current.RowId);
            Set<uint>(view._labelCol, (ref uint v) => v = (uint)Current.ClassIndex + 1);
            Set<long>(view._classCol, (ref long v) => v = Current.ClassIndex);
            Set<ulong>(view._seedCol, (ref ulong v) => v = Current.Seed);
            Set<VBuffer<float>>(view._oneHotCol, OneHot);
            Set<VBuffer<float>>(view._latentCol, (ref VBuffer<float> v) => Copy(ref v, ImageRow(latents: true)));
            Set<VBuffer<float>>(view._pixelsCol, (ref VBuffer<float> v) => Copy(ref v, ImageRow(latents: false)));
        }


        public override long Position => _position;

        public override long Batch => _batch;

        public override bool MoveNext()
        {
            if (_disposed || _done) return false;
            long next = _position + 1;
            if (_start + next >= _end) { _done = true; return false; }
            _position = next;
            _row = _view._set.Request(RowIdAt(next));
            return true;
        }



        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) => id = new DataViewRowId((ulong)Current.RowId, 0);

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            _done = true;
            _pixels = _latents = null;
            base.Dispose(disposing);
        }

        private SyntheticRequest Current
        {
            get
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_position < 0 || _done) throw new InvalidOperationException("The cursor is not on a row: call MoveNext first (and only read while it returns true).");
                return _row;
            }
        }

        private long RowIdAt(long position) => _order is null ? _start + position : _order[_start + position];

        private void Set<T>(int col, ValueGetter<T> getter)
        {
            if (col >= 0) Getters[col] = getter;
        }


        private void OneHot(ref VBuffer<float> v)
        {
            int cls = Current.ClassIndex, n = _view._set.Renderer.NumClasses;
            var editor = VBufferEditor.Create(ref v, n);
            editor.Values.Clear();
            editor.Values[cls] = 1f;
            v = editor.Commit();
        }

        private static void Copy(ref VBuffer<float> v, ReadOnlySpan<float> values)
        {
            var editor = VBufferEditor.Create(ref v, values.Length);
            values.CopyTo(editor.Values);
            v = editor.Commit();
        }

        /// <summary>The current row's latent or pixels, generating the batch that starts at this row when needed.</summary>
        private ReadOnlySpan<float> ImageRow(bool latents)
        {
            _ = Current; // throws when not on a row
            var renderer = _view._set.Renderer;
            bool pixelsActive = _view._pixelsCol >= 0 && Active[_view._pixelsCol];
            if (_cacheFirst < 0 || _position < _cacheFirst || _position >= _cacheFirst + _cacheCount)
            {
                int count = (int)Math.Min(_view._batchSize, _end - _start - _position);
                var seeds = new ulong[count];
                var classes = new int[count];
                for (int i = 0; i < count; i++)
                {
                    var r = _view._set.Request(RowIdAt(_position + i));
                    (seeds[i], classes[i]) = (r.Seed, r.ClassIndex);
                }
                _latents = new float[count * renderer.DimZ];
                if (pixelsActive)
                {
                    _pixels = new float[count * renderer.PixelsPerImage];
                    renderer.Render(seeds, classes, _pixels, _latents);
                }
                else
                {
                    // Only the latent is asked for: no image is generated.
                    renderer.SampleLatents(seeds, _latents);
                }
                _cacheFirst = _position;
                _cacheCount = count;
            }
            int offset = (int)(_position - _cacheFirst);
            return latents
                ? _latents.AsSpan(offset * renderer.DimZ, renderer.DimZ)
                : _pixels.AsSpan(offset * renderer.PixelsPerImage, renderer.PixelsPerImage);
        }
    }
}
