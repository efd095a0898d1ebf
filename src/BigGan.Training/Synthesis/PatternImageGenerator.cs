namespace BigGan.Training.Synthesis;

/// <summary>
/// A tiny deterministic <see cref="IConditionalImageGenerator"/> for tests and samples (no weights, no libtorch).
/// Class c draws a bright horizontal band in band c of the image over a class-dependent background level; the latent
/// adds a faint texture, so images differ per seed yet stay easy to classify. Latents are standard normals from the
/// SplitMix64 stream of the seed (Box–Muller), components with |z| &gt; truncation redrawn, as BigGAN samples them.
/// </summary>
public sealed class PatternImageGenerator : IConditionalImageGenerator
{
    public PatternImageGenerator(int numClasses = 10, int channels = 1, int resolution = 8, int dimZ = 16, IReadOnlyList<string>? classNames = null)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Expected at least 1 class.");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Expected 1 or 3 channels.");
        if (resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Expected a resolution of at least 1.");
        if (dimZ < 1) throw new ArgumentOutOfRangeException(nameof(dimZ), dimZ, "Expected DimZ of at least 1.");
        if (classNames is not null && classNames.Count != numClasses)
            throw new ArgumentException($"{classNames.Count} class names for {numClasses} classes.", nameof(classNames));
        NumClasses = numClasses;
        Channels = channels;
        Resolution = resolution;
        DimZ = dimZ;
        ClassNames = classNames?.ToArray() ?? Enumerable.Range(0, numClasses).Select(c => $"class{c}").ToArray();
    }

    public int NumClasses { get; }

    public int Channels { get; }

    public int Resolution { get; }

    public int DimZ { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of <see cref="Generate"/> calls so far (tests use it to check laziness).</summary>
    public int GenerateCalls => _generateCalls;

    /// <summary>Number of images generated so far.</summary>
    public long ImagesGenerated => Interlocked.Read(ref _imagesGenerated);

    private int _generateCalls;
    private long _imagesGenerated;

    public void SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents)
    {
        if (float.IsNaN(truncation) || truncation <= 0) throw new ArgumentOutOfRangeException(nameof(truncation), truncation, "Truncation must be > 0.");
        if (latents.Length != seeds.Length * DimZ) throw new ArgumentException($"latents has {latents.Length} elements, expected {seeds.Length * DimZ}.", nameof(latents));
        for (int i = 0; i < seeds.Length; i++)
        {
            ulong index = 0;
            for (int k = 0; k < DimZ; k++)
            {
                double z;
                do
                {
                    // Box–Muller on two stream outputs; u1 in (0, 1] keeps the log finite.
                    double u1 = 1.0 - SplitMix64.ToUnitInterval(SplitMix64.At(seeds[i], index++));
                    double u2 = SplitMix64.ToUnitInterval(SplitMix64.At(seeds[i], index++));
                    z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
                } while (Math.Abs(z) > truncation);
                latents[i * DimZ + k] = (float)z;
            }
        }
    }

    public void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images)
    {
        int n = classes.Length, r = Resolution, plane = r * r;
        if (latents.Length != n * DimZ) throw new ArgumentException($"latents has {latents.Length} elements, expected {n * DimZ}.", nameof(latents));
        if (images.Length != n * Channels * plane) throw new ArgumentException($"images has {images.Length} elements, expected {n * Channels * plane}.", nameof(images));
        Interlocked.Increment(ref _generateCalls);
        Interlocked.Add(ref _imagesGenerated, n);
        for (int i = 0; i < n; i++)
        {
            int cls = classes[i];
            if ((uint)cls >= (uint)NumClasses) throw new ArgumentOutOfRangeException(nameof(classes), cls, $"Class must be in 0..{NumClasses - 1}.");
            var z = latents.Slice(i * DimZ, DimZ);
            float background = -0.8f + 0.6f * cls / Math.Max(1, NumClasses - 1);
            for (int c = 0; c < Channels; c++)
                for (int y = 0; y < r; y++)
                {
                    bool band = y * NumClasses / r == cls;
                    for (int x = 0; x < r; x++)
                    {
                        float texture = 0.15f * MathF.Tanh(z[(c * plane + y * r + x) % DimZ]);
                        float v = (band ? 0.7f : background) + texture - 0.05f * c;
                        images[((i * Channels + c) * r + y) * r + x] = Math.Clamp(v, -1f, 1f);
                    }
                }
        }
    }
}
