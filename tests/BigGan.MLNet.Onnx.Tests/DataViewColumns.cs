using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>Reads a vector column of a data view back as arrays, one per row.</summary>
internal static class DataViewColumns
{
    public static List<float[]> Vectors(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        var rows = new List<float[]>();
        VBuffer<float> v = default;
        while (cursor.MoveNext()) { getter(ref v); rows.Add(v.DenseValues().ToArray()); }
        return rows;
    }
}
