namespace BigGan.Training.Sampling;

/// <summary>How standing statistics are accumulated (the reference's <c>--num_standing_accumulations</c>, default 16).</summary>
public sealed record StandingStatisticsOptions
{
    /// <summary>Forward passes whose batch statistics are averaged.</summary>
    public int Accumulations { get; init; } = 16;

    /// <summary>Rows per pass.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the latents and classes of the passes.</summary>
    public ulong Seed { get; init; }

    /// <summary>Truncation of the latents; null uses the one the sampler samples with (statistics then match the
    /// latents they normalise, as the paper advises for truncated sampling), or none when there is no such default.</summary>
    public Truncation? Truncation { get; init; }

    public StandingStatisticsOptions Validate()
    {
        if (Accumulations < 1) throw new ArgumentException($"StandingStatisticsOptions.Accumulations is {Accumulations}; expected at least 1", nameof(Accumulations));
        if (BatchSize < 2) throw new ArgumentException($"StandingStatisticsOptions.BatchSize is {BatchSize}; expected at least 2 (batch statistics of one sample are degenerate)", nameof(BatchSize));
        Truncation?.Validate($"{nameof(StandingStatisticsOptions)}.{nameof(Truncation)}");
        return this;
    }
}
