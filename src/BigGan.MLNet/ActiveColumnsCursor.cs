using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// What the row cursors of this package share: a fixed schema, the columns the caller asked for, one getter per active
/// column, and ML.NET's rules for asking (a column of this view, active, read as its raw type) with messages that say
/// which rule was broken.
/// </summary>
internal abstract class ActiveColumnsCursor : DataViewRowCursor
{
    private readonly string _viewName;

    /// <param name="schema">The view's schema.</param>
    /// <param name="active">Which columns the caller asked for, by schema index.</param>
    /// <param name="viewName">How errors name the data view ("AppendRows data view").</param>
    protected ActiveColumnsCursor(DataViewSchema schema, bool[] active, string viewName)
    {
        Schema = schema;
        Active = active;
        Getters = new Delegate?[schema.Count];
        _viewName = viewName;
    }

    public sealed override DataViewSchema Schema { get; }

    /// <summary>Active[j]: column j was asked for.</summary>
    protected bool[] Active { get; }

    /// <summary>Getters[j]: the ValueGetter of column j's raw type, set by the subclass for every active column.</summary>
    protected Delegate?[] Getters { get; }

    public sealed override bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return Active[column.Index];
    }

    public sealed override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CheckColumn(column);
        if (!Active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: ask for it in columnsNeeded.");
        if (typeof(TValue) != column.Type.RawType)
            throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}: ask for a getter of {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
        return (ValueGetter<TValue>)Getters[column.Index]!;
    }

    private void CheckColumn(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= Schema.Count || Schema[column.Index].Name != column.Name)
            throw new ArgumentException($"Column '{column.Name}' does not belong to this {_viewName}.", nameof(column));
    }
}
