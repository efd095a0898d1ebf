using TorchSharp;

namespace BigGan.Training.Sampling;

/// <summary>
/// Latent vectors drawn per row: row i of a sample with seed s is drawn from its own random stream, seeded with a hash
/// of (s, i), so it is the same whatever the batch size, the batch it falls in, or how many rows are drawn around it.
/// </summary>
public static class LatentSampler
{
    /// <summary>The seed of row <paramref name="row"/> of a sample seeded with <paramref name="seed"/>.</summary>
    public static ulong RowSeed(ulong seed, long row)
    {
        if (row < 0) throw new ArgumentOutOfRangeException(nameof(row), row, "row index must be >= 0");
        return SampleRandom.RowSeed(seed, row);
    }

    /// <summary>Fills <paramref name="z"/> with one latent drawn from the stream seeded with <paramref name="rowSeed"/>.</summary>
    public static void Draw(ulong rowSeed, Truncation truncation, Span<float> z)
    {
        truncation.Validate();
        DrawUnchecked(rowSeed, truncation, z);
    }

    /// <summary>One latent per row seed into <paramref name="latents"/> ([seeds.Length, dimZ], row-major).</summary>
    public static void Draw(ReadOnlySpan<ulong> rowSeeds, Truncation truncation, Span<float> latents)
    {
        truncation.Validate();
        if (rowSeeds.Length == 0)
        {
            if (latents.Length != 0) throw new ArgumentException("latents must be empty when there are no seeds", nameof(latents));
            return;
        }
        if (latents.Length % rowSeeds.Length != 0)
            throw new ArgumentException($"latents has {latents.Length} values, which is not a whole number of rows for {rowSeeds.Length} seeds", nameof(latents));
        var dimZ = latents.Length / rowSeeds.Length;
        for (int i = 0; i < rowSeeds.Length; i++) DrawUnchecked(rowSeeds[i], truncation, latents.Slice(i * dimZ, dimZ));
    }

    /// <summary>Latents of rows [firstRow, firstRow + count) of the sample seeded with <paramref name="seed"/>, as float [count, dimZ].</summary>
    public static float[] Rows(ulong seed, long firstRow, int count, int dimZ, Truncation truncation)
    {
        truncation.Validate();
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be >= 0");
        if (dimZ < 1) throw new ArgumentOutOfRangeException(nameof(dimZ), dimZ, "dimZ must be >= 1");
        if (firstRow < 0) throw new ArgumentOutOfRangeException(nameof(firstRow), firstRow, "row index must be >= 0");
        var z = new float[(long)count * dimZ];
        for (int i = 0; i < count; i++) DrawUnchecked(SampleRandom.RowSeed(seed, firstRow + i), truncation, z.AsSpan(i * dimZ, dimZ));
        return z;
    }

    /// <summary>As <see cref="Rows"/>, as a float tensor [count, dimZ].</summary>
    public static Tensor RowsTensor(ulong seed, long firstRow, int count, int dimZ, Truncation truncation) =>
        torch.tensor(Rows(seed, firstRow, count, dimZ, truncation), [count, dimZ]);

    private static void DrawUnchecked(ulong rowSeed, Truncation truncation, Span<float> z)
    {
        var rng = new SampleRandom(rowSeed);
        if (truncation.Convention == TruncationConvention.TFHub)
        {
            for (int j = 0; j < z.Length; j++) z[j] = (float)(truncation.Value * rng.NextTruncatedGaussian(2));
        }
        else
        {
            for (int j = 0; j < z.Length; j++) z[j] = (float)rng.NextTruncatedGaussian(truncation.Value);
        }
        // Rounding is monotone and 2t is exact in binary, so |z_j| <= (float)t (or (float)(2t)) holds after the casts.
    }
}
