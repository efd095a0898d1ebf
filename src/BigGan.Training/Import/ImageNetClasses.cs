namespace BigGan.Training.Import;

/// <summary>
/// The names of the 1,000 ImageNet (ILSVRC 2012) classes in class-index order, as the published BigGANs number them:
/// the first WordNet lemma of each synset as Keras' imagenet_class_index.json gives it (through pytorch/hub's
/// imagenet_classes.txt), with underscores as spaces. Three names that repeat there are made unique with another
/// lemma of the same synset: 264 "Cardigan Welsh corgi" (not the sweater, 474 "cardigan"), 517 "construction crane"
/// (not the bird, 134 "crane"), 639 "tank suit" (the second "maillot").
/// </summary>
public static class ImageNetClasses
{
    public const int Count = 1000;

    private static readonly Lazy<string[]> LazyNames = new(Read);

    /// <summary>The names, index 0 ("tench") to 999 ("toilet tissue"); unique ignoring case.</summary>
    public static IReadOnlyList<string> Names => LazyNames.Value;

    private static string[] Read()
    {
        using var stream = typeof(ImageNetClasses).Assembly.GetManifestResourceStream("BigGan.Training.Import.imagenet-classes.txt")
            ?? throw new InvalidOperationException("the ImageNet class names resource is missing from BigGan.Training");
        using var reader = new StreamReader(stream);
        var names = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length == Count ? names : throw new InvalidOperationException($"the ImageNet class names resource holds {names.Length} names, expected {Count}");
    }
}
