using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// The input row of the GenerateBigGanImages custom mapping: a class key and a seed, read from private column names
/// that the estimator copies the caller's columns into (a loaded model knows only this type, not the caller's names).
/// </summary>
public sealed class BigGanRequestRow
{
    internal const string LabelColumn = "__BigGan_Label";
    internal const string SeedColumn = "__BigGan_Seed";

    /// <summary>The 1-based class key. The declared key count is a placeholder: ML.NET binds keys of any count here.</summary>
    [ColumnName(LabelColumn), KeyType(1)]
    public uint Label { get; set; }

    /// <summary>The seed of the latent.</summary>
    [ColumnName(SeedColumn)]
    public ulong Seed { get; set; }
}
