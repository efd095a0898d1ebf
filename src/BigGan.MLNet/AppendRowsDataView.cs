using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// The rows of several data views one after another (ML.NET's own AppendRowsDataView is internal), to mix real and
/// synthetic rows. The visible columns must match by name and type in every source (order may differ); vectors match
/// when item type and total size agree, so Vector&lt;Single, 1, 3, H, W&gt; from an ONNX graph appends to
/// Vector&lt;Single, 3, H, W&gt;. A shuffled cursor interleaves shuffled cursors of the sources at random, in
/// proportion to the rows each has left, which gives a uniformly random order of all rows.
/// </summary>
internal sealed class AppendRowsDataView : IDataView
{
    private static readonly MethodInfo MakeGetterMethod = typeof(Cursor).GetMethod(nameof(Cursor.MakeGetter), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private readonly IDataView[] _sources;

    // _map[k][j]: the column of source k behind output column j.
    private readonly DataViewSchema.Column[][] _map;

    public AppendRowsDataView(IDataView[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Length == 0) throw new ArgumentException("AppendRows needs at least one data view.", nameof(sources));
        for (int k = 0; k < sources.Length; k++)
            if (sources[k] is null) throw new ArgumentNullException(nameof(sources), $"Data view {k} of AppendRows is null.");
        _sources = sources;

        var first = sources[0].Schema.Where(c => !c.IsHidden).ToArray();
        var builder = new DataViewSchema.Builder();
        foreach (var c in first) builder.AddColumn(c.Name, c.Type, c.Annotations);
        Schema = builder.ToSchema();

        _map = new DataViewSchema.Column[sources.Length][];
        for (int k = 0; k < sources.Length; k++)
        {
            var schema = sources[k].Schema;
            var extra = schema.Where(c => !c.IsHidden && !first.Any(f => f.Name == c.Name)).Select(c => $"'{c.Name}'").ToArray();
            if (extra.Length > 0)
                throw new ArgumentException($"Data view {k} has column(s) {string.Join(", ", extra)} that data view 0 lacks: appended data views must have the same columns (select or drop columns first).", nameof(sources));
            _map[k] = new DataViewSchema.Column[first.Length];
            for (int j = 0; j < first.Length; j++)
            {
                var want = first[j];
                var col = schema.GetColumnOrNull(want.Name);
                if (col is null || col.Value.IsHidden)
                    throw new ArgumentException($"Data view {k} has no column '{want.Name}' (expected {want.Type}, as in data view 0): appended data views must have the same columns.", nameof(sources));
                if (!Compatible(want.Type, col.Value.Type))
                    throw new ArgumentException($"Column '{want.Name}' is {col.Value.Type} in data view {k} but {want.Type} in data view 0: appended columns must have the same type{(want.Type is VectorDataViewType ? " (vectors: the same item type and size)" : "")}.", nameof(sources));
                _map[k][j] = col.Value;
            }
        }
    }

    public bool CanShuffle => _sources.All(s => s.CanShuffle && s.GetRowCount() is not null);

    public DataViewSchema Schema { get; }

    public long? GetRowCount()
    {
        long total = 0;
        foreach (var s in _sources)
        {
            if (s.GetRowCount() is not long n) return null;
            total += n;
        }
        return total;
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var c in columnsNeeded)
        {
            if (c.Index < 0 || c.Index >= Schema.Count || Schema[c.Index].Name != c.Name)
                throw new ArgumentException($"Column '{c.Name}' does not belong to this AppendRows data view.", nameof(columnsNeeded));
            active[c.Index] = true;
        }
        return new Cursor(this, active, CanShuffle ? rand : null);
    }

    // One cursor: appending is cheap, and the sources parallelise on their own side.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private static bool Compatible(DataViewType want, DataViewType got)
    {
        if (want.Equals(got)) return true;
        return want is VectorDataViewType a && got is VectorDataViewType b
            && a.ItemType.Equals(b.ItemType) && a.Size == b.Size && a.Size > 0;
    }

    private sealed class Cursor : ActiveColumnsCursor
    {
        private readonly AppendRowsDataView _view;
        private readonly Random? _rand;
        private readonly DataViewRowCursor?[] _cursors;
        private readonly long[] _remaining;
        private readonly Delegate?[][] _sourceGetters;
        private readonly ValueGetter<DataViewRowId>?[] _idGetters;

        private int _current = -1;
        private long _position = -1;
        private bool _done, _disposed;

        public Cursor(AppendRowsDataView view, bool[] active, Random? rand)
            : base(view.Schema, active, "AppendRows data view")
        {
            _view = view;
            _rand = rand;
            int k = view._sources.Length;
            _cursors = new DataViewRowCursor?[k];
            _remaining = new long[k];
            _sourceGetters = new Delegate?[k][];
            _idGetters = new ValueGetter<DataViewRowId>?[k];
            for (int s = 0; s < k; s++) _sourceGetters[s] = new Delegate?[view.Schema.Count];
            if (rand is not null)
            {
                // Shuffled: every source is open from the start, each shuffled with its own seed.
                for (int s = 0; s < k; s++)
                {
                    _cursors[s] = Open(s, new Random(rand.Next()));
                    _remaining[s] = view._sources[s].GetRowCount()!.Value;
                }
            }
            for (int j = 0; j < Getters.Length; j++)
                if (active[j]) Getters[j] = (Delegate)MakeGetterMethod.MakeGenericMethod(view.Schema[j].Type.RawType).Invoke(this, [j])!;
        }


        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_disposed || _done) return false;
            bool moved = _rand is null ? MoveSequential() : MoveShuffled();
            if (!moved) { _done = true; return false; }
            _position++;
            return true;
        }

        private bool MoveSequential()
        {
            while (true)
            {
                if (_current >= 0 && _cursors[_current]!.MoveNext()) return true;
                if (_current >= 0) { _cursors[_current]!.Dispose(); _cursors[_current] = null; }
                if (++_current >= _cursors.Length) return false;
                _cursors[_current] = Open(_current, null);
            }
        }

        private bool MoveShuffled()
        {
            long total = _remaining.Sum();
            while (total > 0)
            {
                long pick = _rand!.NextInt64(total);
                int s = 0;
                while (pick >= _remaining[s]) pick -= _remaining[s++];
                _remaining[s]--;
                total--;
                if (_cursors[s]!.MoveNext()) { _current = s; return true; }
                // The source had fewer rows than its count said: forget the rest of it.
                total -= _remaining[s];
                _remaining[s] = 0;
            }
            return false;
        }

        private DataViewRowCursor Open(int source, Random? rand)
        {
            var columns = _view._map[source].Where((_, j) => Active[j]).ToArray();
            return _view._sources[source].GetRowCursor(columns, rand);
        }



        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) =>
            {
                int s = CurrentSource();
                var getter = _idGetters[s] ??= _cursors[s]!.GetIdGetter();
                getter(ref id);
                id = id.Combine(new DataViewRowId((ulong)s, 0));
            };

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            _done = true;
            if (disposing)
                for (int s = 0; s < _cursors.Length; s++) { _cursors[s]?.Dispose(); _cursors[s] = null; }
            base.Dispose(disposing);
        }

        internal ValueGetter<T> MakeGetter<T>(int column)
            => (ref T value) =>
            {
                int s = CurrentSource();
                var getter = (ValueGetter<T>)(_sourceGetters[s][column] ??= _cursors[s]!.GetGetter<T>(_view._map[s][column]));
                getter(ref value);
            };

        private int CurrentSource()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_position < 0 || _done) throw new InvalidOperationException("The cursor is not on a row: call MoveNext first (and only read while it returns true).");
            return _current;
        }

    }
}
