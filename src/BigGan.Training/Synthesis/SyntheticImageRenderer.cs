using System.Runtime.CompilerServices;

namespace BigGan.Training.Synthesis;

/// <summary>
/// Turns (seed, class) rows into pixels with an <see cref="IConditionalImageGenerator"/>: latents from the seeds, images
/// in batches of <see cref="SyntheticImageOptions.BatchSize"/>, then CHW floats in [0, 255] (<c>(x + 1) · 127.5</c>,
/// clamped), grayscale optionally replicated to RGB. A row's pixels depend only on its seed and class.
/// </summary>
public sealed class SyntheticImageRenderer
{
    // One lock per generator object, shared by every renderer over it: generators need not be thread-safe in practice.
    private static readonly ConditionalWeakTable<IConditionalImageGenerator, object> Locks = new();

    private readonly object _lock;

    public SyntheticImageRenderer(IConditionalImageGenerator generator, SyntheticImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Options = options ?? new SyntheticImageOptions();
        Options.Validate();
        string name = generator.GetType().Name;
        if (generator.NumClasses < 1) throw new ArgumentException($"Generator {name} reports {generator.NumClasses} classes, expected at least 1.", nameof(generator));
        if (generator.Channels is not (1 or 3)) throw new ArgumentException($"Generator {name} reports {generator.Channels} channels, expected 1 or 3.", nameof(generator));
        if (generator.Resolution < 1) throw new ArgumentException($"Generator {name} reports resolution {generator.Resolution}, expected at least 1.", nameof(generator));
        if (generator.DimZ < 1) throw new ArgumentException($"Generator {name} reports DimZ {generator.DimZ}, expected at least 1.", nameof(generator));
        var names = generator.ClassNames;
        if (names is null || names.Count != generator.NumClasses)
            throw new ArgumentException($"Generator {name} reports {names?.Count ?? 0} class names for {generator.NumClasses} classes, expected one name per class.", nameof(generator));
        Generator = generator;
        ClassNames = names.ToArray();
        OutputChannels = Options.ReplicateGrayscaleToRgb ? 3 : generator.Channels;
        _lock = Locks.GetValue(generator, _ => new object());
    }

    public IConditionalImageGenerator Generator { get; }

    public SyntheticImageOptions Options { get; }

    public int NumClasses => Generator.NumClasses;

    /// <summary>Channels of the output pixels: 3 when a grayscale generator is replicated, else the generator's.</summary>
    public int OutputChannels { get; }

    public int Resolution => Generator.Resolution;

    public int DimZ => Generator.DimZ;

    /// <summary>Floats per output image: OutputChannels × Resolution × Resolution.</summary>
    public int PixelsPerImage => OutputChannels * Resolution * Resolution;

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The latents of <paramref name="seeds"/> ([n, DimZ]) with the configured truncation.</summary>
    public void SampleLatents(ReadOnlySpan<ulong> seeds, Span<float> latents)
    {
        CheckLength(nameof(latents), latents.Length, (long)seeds.Length * DimZ);
        lock (_lock) Generator.SampleLatents(seeds, Options.Truncation, latents);
    }

    /// <summary>
    /// Pixels ([n, OutputChannels, Resolution, Resolution], [0, 255]) of the rows (<paramref name="seeds"/>[i],
    /// <paramref name="classes"/>[i]); also their latents when <paramref name="latents"/> is not empty ([n, DimZ]).
    /// </summary>
    public void Render(ReadOnlySpan<ulong> seeds, ReadOnlySpan<int> classes, Span<float> pixels, Span<float> latents = default)
    {
        int n = seeds.Length;
        CheckLength(nameof(classes), classes.Length, n);
        CheckLength(nameof(pixels), pixels.Length, (long)n * PixelsPerImage);
        if (!latents.IsEmpty) CheckLength(nameof(latents), latents.Length, (long)n * DimZ);
        for (int i = 0; i < n; i++)
            if ((uint)classes[i] >= (uint)NumClasses)
                throw new ArgumentOutOfRangeException(nameof(classes), classes[i], $"Class of row {i} is {classes[i]}, expected 0..{NumClasses - 1} (the generator has {NumClasses} classes).");

        int batch = Math.Min(Options.BatchSize, Math.Max(n, 1));
        int rawPerImage = Generator.Channels * Resolution * Resolution;
        var z = latents.IsEmpty ? new float[batch * DimZ] : null;
        var raw = new float[batch * rawPerImage];
        for (int start = 0; start < n; start += batch)
        {
            int b = Math.Min(batch, n - start);
            Span<float> zb = z is null ? latents.Slice(start * DimZ, b * DimZ) : z.AsSpan(0, b * DimZ);
            Span<float> rb = raw.AsSpan(0, b * rawPerImage);
            lock (_lock)
            {
                Generator.SampleLatents(seeds.Slice(start, b), Options.Truncation, zb);
                Generator.Generate(zb, classes.Slice(start, b), rb);
            }
            ToPixels(rb, pixels.Slice(start * PixelsPerImage, b * PixelsPerImage), b, seeds.Slice(start, b));
        }
    }

    /// <summary>The pixels of one row (a new array of <see cref="PixelsPerImage"/> floats).</summary>
    public float[] Render(ulong seed, int classIndex)
    {
        var pixels = new float[PixelsPerImage];
        Render([seed], [classIndex], pixels);
        return pixels;
    }

    private void ToPixels(ReadOnlySpan<float> raw, Span<float> pixels, int count, ReadOnlySpan<ulong> seeds)
    {
        int plane = Resolution * Resolution;
        int rawChannels = Generator.Channels;
        bool round = Options.RoundToIntegers;
        for (int i = 0; i < count; i++)
        {
            var src = raw.Slice(i * rawChannels * plane, rawChannels * plane);
            var dst = pixels.Slice(i * PixelsPerImage, PixelsPerImage);
            for (int k = 0; k < src.Length; k++)
            {
                float x = src[k];
                if (!float.IsFinite(x))
                    throw new InvalidOperationException($"Generator {Generator.GetType().Name} produced {x} for the row with seed {seeds[i]} (element {k}); expected finite values in [-1, 1].");
                float v = Math.Clamp((x + 1f) * 127.5f, 0f, 255f);
                dst[k] = round ? MathF.Round(v) : v;
            }
            // Grayscale replicated: planes G and B copy plane R.
            for (int c = rawChannels; c < OutputChannels; c++)
                dst[..plane].CopyTo(dst.Slice(c * plane, plane));
        }
    }

    private static void CheckLength(string name, long actual, long expected)
    {
        if (actual != expected) throw new ArgumentException($"Buffer '{name}' has {actual} elements, expected {expected}.", name);
    }
}
