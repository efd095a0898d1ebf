using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// The values of one input column for a batch of rows read ahead of the consumer: the batched image cursor reads a
/// batch of rows from its source, generates their images in one generator call, then serves the rows from these copies.
/// Copies, because a source cursor may reuse a value's buffers once it moves on.
/// </summary>
internal abstract class BufferedColumn
{
    /// <summary>Stores the source row's current value in <paramref name="slot"/>.</summary>
    public abstract void Capture(int slot);

    /// <summary>A <c>ValueGetter&lt;T&gt;</c> of the value in the slot <paramref name="slot"/> returns.</summary>
    public abstract Delegate Getter(Func<int> slot);

    /// <summary>A buffer of <paramref name="capacity"/> rows for <paramref name="column"/> of <paramref name="source"/>.</summary>
    public static BufferedColumn Create(DataViewRow source, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        Type buffer = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorColumn<>).MakeGenericType(raw.GetGenericArguments()[0])
            : raw == typeof(ReadOnlyMemory<char>) ? typeof(TextColumn) : typeof(ValueColumn<>).MakeGenericType(raw);
        return (BufferedColumn)Activator.CreateInstance(buffer, source, column, capacity)!;
    }

    private sealed class ValueColumn<T>(DataViewRow source, DataViewSchema.Column column, int capacity) : BufferedColumn
    {
        private readonly ValueGetter<T> _get = source.GetGetter<T>(column);
        private readonly T[] _values = new T[capacity];

        public override void Capture(int slot) => _get(ref _values[slot]);

        public override Delegate Getter(Func<int> slot) => (ValueGetter<T>)((ref T dst) => dst = _values[slot()]);
    }

    // Text is a slice of a buffer the source may refill.
    private sealed class TextColumn(DataViewRow source, DataViewSchema.Column column, int capacity) : BufferedColumn
    {
        private readonly ValueGetter<ReadOnlyMemory<char>> _get = source.GetGetter<ReadOnlyMemory<char>>(column);
        private readonly ReadOnlyMemory<char>[] _values = new ReadOnlyMemory<char>[capacity];

        public override void Capture(int slot)
        {
            ReadOnlyMemory<char> v = default;
            _get(ref v);
            _values[slot] = v.ToArray();
        }

        public override Delegate Getter(Func<int> slot) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> dst) => dst = _values[slot()]);
    }

    private sealed class VectorColumn<T>(DataViewRow source, DataViewSchema.Column column, int capacity) : BufferedColumn
    {
        private readonly ValueGetter<VBuffer<T>> _get = source.GetGetter<VBuffer<T>>(column);
        private readonly VBuffer<T>[] _values = new VBuffer<T>[capacity];
        private VBuffer<T> _scratch;

        public override void Capture(int slot)
        {
            _get(ref _scratch);
            _scratch.CopyTo(ref _values[slot]);
        }

        public override Delegate Getter(Func<int> slot) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> dst) => _values[slot()].CopyTo(ref dst));
    }
}
