using BigGan.Training.Synthesis;
using Microsoft.ML;

namespace BigGan.MLNet;

/// <summary>Data sources and row utilities: <c>mlContext.Data.LoadFromBigGan(...)</c>, <c>mlContext.Data.AppendRows(...)</c>.</summary>
public static class BigGanDataCatalog
{
    /// <summary>
    /// A data view of <paramref name="count"/> generated rows with the columns of <see cref="BigGanColumns"/>: RowId,
    /// Label (Key&lt;UInt32&gt; with the class names as key values), ClassIndex, Seed and, as the options say, ClassOneHot,
    /// Latent and Pixels (Vector&lt;Single, C, H, W&gt;, [0, 255]). Rows are a pure function of (options, row id): every
    /// cursor, cursor set or shuffled cursor agrees on them. Images are generated lazily, in batches, only for cursors
    /// that ask for Pixels.
    /// </summary>
    public static IDataView LoadFromBigGan(this DataOperationsCatalog catalog, IConditionalImageGenerator generator, long count, BigGanDataOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(generator);
        if (count < 0 || count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The row count must be in 0..{int.MaxValue}.");
        options ??= new BigGanDataOptions();
        return new BigGanDataView(new SyntheticImageSet(generator, count, options), options);
    }

    /// <summary>
    /// The rows of <paramref name="sources"/> one after another, e.g. real rows then synthetic rows. The sources must
    /// have the same visible columns with the same types (vectors: same item type and size).
    /// </summary>
    public static IDataView AppendRows(this DataOperationsCatalog catalog, params IDataView[] sources)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AppendRowsDataView(sources);
    }
}
