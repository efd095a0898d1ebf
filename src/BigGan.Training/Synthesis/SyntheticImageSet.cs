namespace BigGan.Training.Synthesis;

/// <summary>
/// A synthetic data set of <see cref="Count"/> rows: the request stream (seed and class per row id) and the renderer
/// (pixels per row). Everything is a pure function of the row id, so rows can be produced lazily, in any order and in
/// any batches. The ML.NET adapter wraps this as an IDataView; the libtorch side can enumerate it directly.
/// </summary>
public sealed class SyntheticImageSet
{
    public SyntheticImageSet(IConditionalImageGenerator generator, long count, SyntheticSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Options = options ?? new SyntheticSetOptions();
        Renderer = new SyntheticImageRenderer(generator, Options);
        Requests = new SyntheticRequestStream(generator.NumClasses, Options.BaseSeed, Options.Classes);
        Count = count;
    }

    public long Count { get; }

    public SyntheticSetOptions Options { get; }

    public SyntheticRequestStream Requests { get; }

    public SyntheticImageRenderer Renderer { get; }

    public IReadOnlyList<string> ClassNames => Renderer.ClassNames;

    /// <summary>The request of row <paramref name="rowId"/> (0 ≤ rowId &lt; Count).</summary>
    public SyntheticRequest Request(long rowId)
    {
        if ((ulong)rowId >= (ulong)Count) throw new ArgumentOutOfRangeException(nameof(rowId), rowId, $"Row id must be in 0..{Count - 1}.");
        return Requests[rowId];
    }

    /// <summary>Pixels (and latents when <paramref name="latents"/> is not empty) of the given rows, in that order.</summary>
    public void Render(ReadOnlySpan<long> rowIds, Span<float> pixels, Span<float> latents = default)
    {
        var seeds = new ulong[rowIds.Length];
        var classes = new int[rowIds.Length];
        for (int i = 0; i < rowIds.Length; i++)
        {
            var r = Request(rowIds[i]);
            seeds[i] = r.Seed;
            classes[i] = r.ClassIndex;
        }
        Renderer.Render(seeds, classes, pixels, latents);
    }

    /// <summary>Rows <paramref name="start"/>.. in order, generated a batch at a time.</summary>
    public IEnumerable<SyntheticImage> Enumerate(long start = 0)
    {
        if (start < 0 || start > Count) throw new ArgumentOutOfRangeException(nameof(start), start, $"Start must be in 0..{Count}.");
        int batch = Options.BatchSize;
        var ids = new long[batch];
        for (long first = start; first < Count; first += batch)
        {
            int b = (int)Math.Min(batch, Count - first);
            for (int i = 0; i < b; i++) ids[i] = first + i;
            var pixels = new float[b * Renderer.PixelsPerImage];
            Render(ids.AsSpan(0, b), pixels);
            for (int i = 0; i < b; i++)
                yield return new SyntheticImage(Requests[first + i], pixels.AsSpan(i * Renderer.PixelsPerImage, Renderer.PixelsPerImage).ToArray());
        }
    }
}

