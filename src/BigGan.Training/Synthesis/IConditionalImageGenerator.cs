namespace BigGan.Training.Synthesis;

/// <summary>
/// A class-conditional image generator as the synthesis layer (and the ML.NET adapter) consumes it: latents drawn from
/// a seed, images generated from latents and class indices. The BigGAN sampler implements it; so does
/// <see cref="PatternImageGenerator"/>, a tiny deterministic stand-in for tests and samples.
/// </summary>
/// <remarks>
/// Contract, which callers rely on:
/// <list type="bullet">
/// <item>Deterministic per row: the latent of a seed and the image of a (latent, class) pair do not depend on the other
/// rows of the batch, on the batch size or on earlier calls (so a generator must not use batch statistics).</item>
/// <item>Need not be thread-safe: <see cref="SyntheticImageRenderer"/> serialises the calls it makes on one generator object.</item>
/// <item>Buffers are row-major: latents [n, DimZ], images [n, Channels, Resolution, Resolution] (CHW per image).</item>
/// </list>
/// </remarks>
public interface IConditionalImageGenerator
{
    /// <summary>Number of classes; class indices are 0-based.</summary>
    int NumClasses { get; }

    /// <summary>Channels of a generated image: 1 (grayscale) or 3 (RGB, planes in R, G, B order).</summary>
    int Channels { get; }

    /// <summary>Height and width of a generated image.</summary>
    int Resolution { get; }

    /// <summary>Length of one latent vector z.</summary>
    int DimZ { get; }

    /// <summary>One display name per class, in class-index order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// Draws one latent per seed into <paramref name="latents"/> ([seeds.Length, DimZ]). <paramref name="truncation"/>
    /// follows the generator's convention (BigGAN: resample components with |z| &gt; truncation; infinity = none).
    /// </summary>
    void SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents);

    /// <summary>
    /// Generates one image per row into <paramref name="images"/> ([n, Channels, Resolution, Resolution]) with values in
    /// [-1, 1], from <paramref name="latents"/> ([n, DimZ]) and <paramref name="classes"/> ([n], each in [0, NumClasses)).
    /// </summary>
    void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images);
}
