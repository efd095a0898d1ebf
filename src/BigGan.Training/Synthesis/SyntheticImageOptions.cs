namespace BigGan.Training.Synthesis;

/// <summary>How generated images become pixels: truncation of the latent, channel handling, rounding and batching.</summary>
public record SyntheticImageOptions
{
    /// <summary>Truncation passed to <see cref="IConditionalImageGenerator.SampleLatents"/> (&gt; 0; infinity = none).</summary>
    public float Truncation { get; init; } = 1f;

    /// <summary>Replicate a grayscale generator's single plane into R, G and B (output always has 3 channels).</summary>
    public bool ReplicateGrayscaleToRgb { get; init; }

    /// <summary>Round pixels to integers, as decoded image files would be.</summary>
    public bool RoundToIntegers { get; init; }

    /// <summary>Rows per generator call.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (float.IsNaN(Truncation) || Truncation <= 0)
            throw new ArgumentOutOfRangeException(nameof(Truncation), Truncation, "Truncation must be > 0 (use float.PositiveInfinity for none).");
        if (BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
    }
}

/// <summary>Options of a synthetic data set: the request stream (base seed, class schedule) plus the image options.</summary>
public record SyntheticSetOptions : SyntheticImageOptions
{
    /// <summary>Seed the row seeds are derived from (<see cref="SyntheticRequestStream.RowSeed"/>).</summary>
    public ulong BaseSeed { get; init; }

    /// <summary>How rows get their class; null means round-robin over all classes.</summary>
    public ClassSchedule? Classes { get; init; }
}
