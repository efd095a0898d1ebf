namespace BigGan.Training.Data;

/// <summary>
/// The item order and flips of one epoch, a pure function of (seed, epoch): resuming needs only the epoch and the
/// position in it. Uses SplitMix64 (a fixed, documented generator) rather than System.Random, whose algorithm a
/// future .NET may change, so checkpoints stay resumable.
/// </summary>
internal sealed class EpochShuffle
{
    /// <summary>Item indices in the order the epoch visits them.</summary>
    public int[] Order { get; }

    /// <summary>Whether the item at each position is mirrored; null without flipping.</summary>
    public bool[]? Flips { get; }

    public long Epoch { get; }

    public EpochShuffle(long seed, long epoch, int count, bool flips)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Epoch = epoch;
        ulong state = Mix((ulong)seed ^ Mix((ulong)epoch + 0x6A09E667F3BCC909UL));
        Order = new int[count];
        for (int i = 0; i < count; i++) Order[i] = i;
        for (int i = count - 1; i > 0; i--)
        {
            // Lemire's multiply-shift maps 64 random bits to [0, i]; the bias is below 2^-32 for any dataset size.
            int j = (int)(((UInt128)Next(ref state) * (ulong)(i + 1)) >> 64);
            (Order[i], Order[j]) = (Order[j], Order[i]);
        }
        if (flips)
        {
            Flips = new bool[count];
            for (int i = 0; i < count; i++) Flips[i] = (Next(ref state) >> 63) != 0;
        }
    }

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
