namespace BigGan.Training.Data;

/// <summary>How <see cref="ShuffledBatchSource"/> orders, augments and prefetches batches.</summary>
public sealed record BatchSourceOptions
{
    /// <summary>Seeds the per-epoch shuffle (and flips): the same seed gives the same batches.</summary>
    public long Seed { get; init; }

    /// <summary>Mirror each image left-right with probability 1/2 (seeded, like the shuffle).</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>
    /// How many batches a background thread prepares ahead of the trainer (counted in the largest batch size asked
    /// for so far); 0 decodes synchronously inside <see cref="ShuffledBatchSource.Next"/>. Both give the same batches.
    /// </summary>
    public int PrefetchBatches { get; init; } = 4;

    /// <summary>Throws if a member is out of range.</summary>
    public BatchSourceOptions Validate()
    {
        if (PrefetchBatches is < 0 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, "prefetch must be between 0 (synchronous) and 1024 batches");
        return this;
    }
}
