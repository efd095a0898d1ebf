using BigGan.Training.Synthesis;

namespace BigGan.MLNet;

/// <summary>The sizes of an exported generator graph: what ML.NET needs to give its inputs and output known shapes.</summary>
public sealed record BigGanOnnxGraph(int NumClasses, int DimZ, int Channels, int Resolution)
{
    /// <summary>The sizes of the generator the graph was exported from.</summary>
    public static BigGanOnnxGraph From(IConditionalImageGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return new BigGanOnnxGraph(generator.NumClasses, generator.DimZ, generator.Channels, generator.Resolution);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first size out of range.</summary>
    public void Validate()
    {
        if (NumClasses < 1) throw new ArgumentOutOfRangeException(nameof(NumClasses), NumClasses, "Expected at least 1 class.");
        if (DimZ < 1) throw new ArgumentOutOfRangeException(nameof(DimZ), DimZ, "Expected DimZ of at least 1.");
        if (Channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "Expected 1 or 3 channels.");
        if (Resolution < 1) throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "Expected a resolution of at least 1.");
    }
}
