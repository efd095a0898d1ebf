using BigGan.Training.Synthesis;

namespace BigGan.MLNet;

/// <summary>
/// Options of <see cref="BigGanDataCatalog.LoadFromBigGan"/>: the request stream and image options of
/// <see cref="SyntheticSetOptions"/> plus which optional columns the data view has.
/// </summary>
public sealed record BigGanDataOptions : SyntheticSetOptions
{
    /// <summary>Include the <see cref="BigGanColumns.Pixels"/> column (leave it out for a request-only source).</summary>
    public bool IncludePixels { get; init; } = true;

    /// <summary>Include the <see cref="BigGanColumns.Latent"/> column.</summary>
    public bool IncludeLatent { get; init; }

    /// <summary>Include the <see cref="BigGanColumns.ClassOneHot"/> column.</summary>
    public bool IncludeClassOneHot { get; init; }
}
