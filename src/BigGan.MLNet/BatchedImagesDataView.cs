using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// GenerateBigGanImages' output in this process: the input's columns plus the image column, where a cursor reads
/// BatchSize rows ahead, generates their images in one generator call and serves the rows from copies. The per-row
/// custom mapping (what a saved model holds) calls the generator once per row, which costs ~BatchSize× more on a CPU.
/// Without the image column asked for, a cursor is the input's cursor with nothing read ahead.
/// </summary>
internal sealed class BatchedImagesDataView : IDataView
{
    private readonly IDataView _input;
    private readonly LabelKeyImageMapper _mapper;
    private readonly int _labelCol, _seedCol, _outputCol, _batchSize;

    public BatchedImagesDataView(IDataView input, LabelKeyImageMapper mapper, string labelColumnName, string? seedColumnName, string outputColumnName)
    {
        _input = input;
        _mapper = mapper;
        _batchSize = mapper.Renderer.Options.BatchSize;
        _labelCol = input.Schema[labelColumnName].Index;
        _seedCol = seedColumnName is null ? -1 : input.Schema[seedColumnName].Index;
        Schema = OutputSchema(input.Schema, mapper, outputColumnName);
        _outputCol = input.Schema.Count;
    }

    /// <summary>The input's columns (hidden ones too, so indices agree) and the image column last.</summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, LabelKeyImageMapper mapper, string outputColumnName)
    {
        var r = mapper.Renderer;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(outputColumnName, new VectorDataViewType(NumberDataViewType.Single, r.OutputChannels, r.Resolution, r.Resolution));
        return builder.ToSchema();
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var c in columnsNeeded)
        {
            if (c.Index < 0 || c.Index >= Schema.Count || Schema[c.Index].Name != c.Name)
                throw new ArgumentException($"Column '{c.Name}' does not belong to this GenerateBigGanImages output.", nameof(columnsNeeded));
            active[c.Index] = true;
        }
        bool images = active[_outputCol];
        var needed = _input.Schema.Where(c => active[c.Index] || (images && (c.Index == _labelCol || c.Index == _seedCol)));
        return new Cursor(this, _input.GetRowCursor(needed, rand), active);
    }

    // One cursor: rows are read ahead in batches, and the generator serialises its calls anyway.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : ActiveColumnsCursor
    {
        private readonly BatchedImagesDataView _view;
        private readonly DataViewRowCursor _source;
        private readonly bool _images;
        private readonly List<BufferedColumn> _buffers = [];
        private readonly ValueGetter<uint>? _label;
        private readonly ValueGetter<ulong>? _seed;
        private readonly ValueGetter<DataViewRowId> _sourceId;
        private readonly DataViewRowId[] _ids;
        private readonly ulong[] _seeds;
        private readonly int[] _classes;
        private readonly float[] _pixels;
        private int _count, _slot = -1;
        private long _position = -1;
        private bool _disposed;

        public Cursor(BatchedImagesDataView view, DataViewRowCursor source, bool[] active)
            : base(view.Schema, active, "GenerateBigGanImages output")
        {
            _view = view;
            _source = source;
            _images = active[view._outputCol];
            int b = _images ? view._batchSize : 0;
            _ids = new DataViewRowId[b];
            _seeds = new ulong[b];
            _classes = new int[b];
            _pixels = new float[b * view._mapper.Renderer.PixelsPerImage];
            _sourceId = source.GetIdGetter();
            for (int i = 0; i < view._outputCol; i++)
            {
                if (!active[i]) continue;
                if (!_images) { Getters[i] = PassThrough(source, source.Schema[i]); continue; }
                var buffer = BufferedColumn.Create(source, source.Schema[i], b);
                _buffers.Add(buffer);
                Getters[i] = buffer.Getter(() => _slot);
            }
            if (_images)
            {
                _label = source.GetGetter<uint>(source.Schema[view._labelCol]);
                if (view._seedCol >= 0) _seed = source.GetGetter<ulong>(source.Schema[view._seedCol]);
                Getters[view._outputCol] = (ValueGetter<VBuffer<float>>)GetPixels;
            }
        }

        public override long Position => _position;

        public override long Batch => _source.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => _images ? (ref DataViewRowId id) => id = _ids[_slot] : _sourceId;

        public override bool MoveNext()
        {
            if (_disposed) return false;
            if (!_images)
            {
                if (!_source.MoveNext()) return false;
                _position++;
                return true;
            }
            if (_slot + 1 >= _count && !ReadBatch()) return false;
            _slot++;
            _position++;
            return true;
        }

        // Reads up to a batch of source rows into the buffers and generates their images in one call.
        private bool ReadBatch()
        {
            _count = 0;
            _slot = -1;
            int n = _view._mapper.Renderer.NumClasses;
            while (_count < _ids.Length && _source.MoveNext())
            {
                uint key = 0;
                _label!(ref key);
                if (key == 0)
                    throw new InvalidOperationException($"GenerateBigGanImages: row {_source.Position} has a missing label (key 0): every row needs a class key in 1..{n}.");
                if (key > n)
                    throw new ArgumentOutOfRangeException("input", key, $"GenerateBigGanImages: row {_source.Position} has label key {key}; the generator has {n} classes (keys 1..{n}).");
                ulong seed = key; // without a seed column the key is the seed, as the per-row mapping's ConvertType makes it
                _seed?.Invoke(ref seed);
                _classes[_count] = (int)key - 1;
                _seeds[_count] = seed;
                _sourceId(ref _ids[_count]);
                foreach (var buffer in _buffers) buffer.Capture(_count);
                _count++;
            }
            if (_count == 0) return false;
            int size = _view._mapper.Renderer.PixelsPerImage;
            _view._mapper.Renderer.Render(_seeds.AsSpan(0, _count), _classes.AsSpan(0, _count), _pixels.AsSpan(0, _count * size));
            return true;
        }

        private void GetPixels(ref VBuffer<float> dst)
        {
            int size = _view._mapper.Renderer.PixelsPerImage;
            var editor = VBufferEditor.Create(ref dst, size);
            _pixels.AsSpan(_slot * size, size).CopyTo(editor.Values);
            dst = editor.Commit();
        }

        private static Delegate PassThrough(DataViewRow source, DataViewSchema.Column column)
            => (Delegate)typeof(Cursor).GetMethod(nameof(SourceGetter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(column.Type.RawType).Invoke(null, [source, column])!;

        private static ValueGetter<T> SourceGetter<T>(DataViewRow source, DataViewSchema.Column column) => source.GetGetter<T>(column);

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing) _source.Dispose();
            base.Dispose(disposing);
        }
    }
}
