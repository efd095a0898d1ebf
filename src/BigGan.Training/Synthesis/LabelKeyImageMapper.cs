namespace BigGan.Training.Synthesis;

/// <summary>
/// Maps a request row as a pipeline sees it, a 1-based class key (ML.NET's key convention: key k is class k − 1, 0 means
/// missing) and a seed, to pixels. The image of (seed, key) equals the image a <see cref="SyntheticImageSet"/> row with
/// that seed and class k − 1 has, so generating from request rows reproduces generated-row sources exactly.
/// </summary>
public sealed class LabelKeyImageMapper(SyntheticImageRenderer renderer)
{
    public SyntheticImageRenderer Renderer { get; } = renderer ?? throw new ArgumentNullException(nameof(renderer));

    /// <summary>Writes the pixels of (<paramref name="labelKey"/>, <paramref name="seed"/>) into <paramref name="pixels"/>.</summary>
    public void Map(uint labelKey, ulong seed, Span<float> pixels)
    {
        int n = Renderer.NumClasses;
        if (labelKey == 0)
            throw new InvalidOperationException("A row has a missing label (key 0): every request row needs a class key in 1.." + n + ".");
        if (labelKey > n)
            throw new ArgumentOutOfRangeException(nameof(labelKey), labelKey, $"Label key {labelKey} is out of range: the generator has {n} classes (keys 1..{n}).");
        Renderer.Render([seed], [(int)labelKey - 1], pixels);
    }
}
