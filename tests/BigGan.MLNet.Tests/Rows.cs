using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

/// <summary>A generated row as read through a cursor.</summary>
internal sealed record Row(ulong RowId, uint Label, long ClassIndex, ulong Seed, float[]? Pixels, float[]? Latent)
{
    public string Key => $"{RowId}/{Label}/{ClassIndex}/{Seed}/{(Pixels is null ? "" : string.Join(",", Pixels))}/{(Latent is null ? "" : string.Join(",", Latent))}";
}

internal static class Rows
{
    /// <summary>All rows of a cursor, reading the columns that are present and asked for.</summary>
    public static List<Row> Read(DataViewRowCursor cursor)
    {
        var s = cursor.Schema;
        var rowId = cursor.GetGetter<ulong>(s[BigGanColumns.RowId]);
        var label = cursor.GetGetter<uint>(s[BigGanColumns.Label]);
        var cls = cursor.GetGetter<long>(s[BigGanColumns.ClassIndex]);
        var seed = cursor.GetGetter<ulong>(s[BigGanColumns.Seed]);
        var pixels = s.GetColumnOrNull(BigGanColumns.Pixels) is { } p && cursor.IsColumnActive(p) ? cursor.GetGetter<VBuffer<float>>(p) : null;
        var latent = s.GetColumnOrNull(BigGanColumns.Latent) is { } l && cursor.IsColumnActive(l) ? cursor.GetGetter<VBuffer<float>>(l) : null;
        var rows = new List<Row>();
        while (cursor.MoveNext())
        {
            ulong id = 0, sd = 0; uint lb = 0; long c = 0;
            VBuffer<float> pv = default, lv = default;
            rowId(ref id); label(ref lb); cls(ref c); seed(ref sd);
            pixels?.Invoke(ref pv);
            latent?.Invoke(ref lv);
            rows.Add(new Row(id, lb, c, sd, pixels is null ? null : pv.DenseValues().ToArray(), latent is null ? null : lv.DenseValues().ToArray()));
        }
        return rows;
    }

    public static List<Row> ReadAll(IDataView view, Random? rand = null)
    {
        using var cursor = view.GetRowCursor(view.Schema, rand);
        return Read(cursor);
    }

    /// <summary>A float vector column of every row.</summary>
    public static List<float[]> Vectors(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        var result = new List<float[]>();
        VBuffer<float> v = default;
        while (cursor.MoveNext()) { getter(ref v); result.Add(v.DenseValues().ToArray()); }
        return result;
    }
}
