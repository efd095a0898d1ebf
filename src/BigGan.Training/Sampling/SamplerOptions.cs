namespace BigGan.Training.Sampling;

/// <summary>How a <see cref="BigGanSampler"/> is loaded and runs.</summary>
public sealed record SamplerOptions
{
    /// <summary>Rows per generator forward pass; results do not depend on it.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Run the eval forward with its constants folded (W/σ once per call, batch norm as one per-sample scale and shift,
    /// upsample + conv as a 4-phase 2×2 conv): the same function to float rounding, faster. False runs the generator
    /// module's own forward.
    /// </summary>
    public bool FoldedForward { get; init; } = true;

    /// <summary>Convention of a bare truncation number given through <see cref="Synthesis.IConditionalImageGenerator"/>.</summary>
    public TruncationConvention TruncationConvention { get; init; } = TruncationConvention.Paper;

    /// <summary>Which network of a checkpoint to load.</summary>
    public GeneratorWeights Weights { get; init; } = GeneratorWeights.Auto;

    /// <summary>Batch-norm statistics to sample with; null follows the run's configuration (standing statistics when
    /// its training config asks for them, running statistics otherwise).</summary>
    public BatchNormStatistics? Statistics { get; init; }

    /// <summary>How standing statistics are accumulated; null takes the run's NumStandingAccumulations and batch size.</summary>
    public StandingStatisticsOptions? Standing { get; init; }

    /// <summary>Class names in class-index order; null reads the run folder's classes.txt (one name per line) when
    /// present, else uses the class numbers.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The truncation to open the generator for. An imported Hugging Face BigGAN-deep picks its batch-norm
    /// statistics by the truncation, so its sampler serves one: tfhub:t, 0 &lt; t ≤ 1 (null: tfhub:1). This project's
    /// generator ignores it: truncation shapes only its latents, given per call.</summary>
    public Truncation? Truncation { get; init; }

    public SamplerOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"SamplerOptions.BatchSize is {BatchSize}; expected at least 1", nameof(BatchSize));
        if (!Enum.IsDefined(TruncationConvention)) throw new ArgumentException($"SamplerOptions.TruncationConvention is {(int)TruncationConvention}; expected Paper or TFHub", nameof(TruncationConvention));
        if (!Enum.IsDefined(Weights)) throw new ArgumentException($"SamplerOptions.Weights is {(int)Weights}; expected Auto, Ema or Raw", nameof(Weights));
        if (Statistics is { } s && !Enum.IsDefined(s)) throw new ArgumentException($"SamplerOptions.Statistics is {(int)s}; expected Running or Standing", nameof(Statistics));
        Standing?.Validate();
        Truncation?.Validate(nameof(Truncation));
        if (ClassNames is not null && ClassNames.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("SamplerOptions.ClassNames contains an empty name", nameof(ClassNames));
        return this;
    }
}
