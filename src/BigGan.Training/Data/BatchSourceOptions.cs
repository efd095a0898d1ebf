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

    /// <summary>
    /// Data-parallel training: the number of processes that share every batch (the world size). Each process builds
    /// its source with the same seed and its own <see cref="ShardIndex"/>; <c>Next(n)</c> then takes n (the global
    /// batch, a multiple of ShardCount) from the common item stream and returns, and decodes, only this shard's rows:
    /// the items at stream positions ShardIndex, ShardIndex + ShardCount, … of the batch. 1 (the default) returns
    /// every row.
    /// </summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>This process's shard, 0..ShardCount-1 (its rank).</summary>
    public int ShardIndex { get; init; }

    /// <summary>Throws if a member is out of range.</summary>
    public BatchSourceOptions Validate()
    {
        if (PrefetchBatches is < 0 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, "prefetch must be between 0 (synchronous) and 1024 batches");
        if (ShardCount < 1)
            throw new ArgumentOutOfRangeException(nameof(ShardCount), ShardCount, "the shard count (number of data-parallel processes) must be at least 1");
        if (ShardIndex < 0 || ShardIndex >= ShardCount)
            throw new ArgumentOutOfRangeException(nameof(ShardIndex), ShardIndex, $"the shard index must be in 0..{ShardCount - 1} for {ShardCount} shards");
        return this;
    }
}
