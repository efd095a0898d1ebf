namespace BigGan.Training.Data;

/// <summary>How a dataset is opened. Every member has a default that suits training.</summary>
public sealed record DatasetOptions
{
    /// <summary>
    /// 1 (grayscale) or 3 (RGB); null picks automatically: image folders are grayscale when every image is, idx
    /// files are grayscale and CIFAR is RGB.
    /// </summary>
    public int? Channels { get; init; }

    /// <summary>Image folders: keep each decoded, resized image in memory after its first read.</summary>
    public bool CacheInMemory { get; init; }

    /// <summary>Image folders: leave out images that do not decode (counted in <see cref="ImageFolderDataset.SkippedImages"/>) instead of failing.</summary>
    public bool SkipBadImages { get; init; }

    /// <summary>
    /// Image folders: the largest width × height decoded, checked from each file's header before its pixels are
    /// allocated (a guard against decompression bombs); null means <see cref="IO.ImageCodec.MaxPixels"/>
    /// (Pillow's 89,478,485 unless changed).
    /// </summary>
    public long? MaxImagePixels { get; init; }

    /// <summary>The split read from idx and CIFAR files.</summary>
    public DatasetSplit Split { get; init; } = DatasetSplit.Train;

    /// <summary>Number of classes of idx files (labels must be below it); null means 10, as in MNIST.</summary>
    public int? NumClasses { get; init; }

    /// <summary>Where Debian's dataset packages install their files (fashion-mnist lives in a subfolder).</summary>
    public string DatasetsRoot { get; init; } = "/usr/share/datasets";

    /// <summary>Throws if a member is out of range.</summary>
    public DatasetOptions Validate()
    {
        if (Channels is not (null or 1 or 3))
            throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "channels must be 1 (grayscale), 3 (RGB) or null (automatic)");
        if (NumClasses is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(NumClasses), NumClasses, "the number of idx classes must be between 1 and 256 (labels are bytes)");
        if (MaxImagePixels is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxImagePixels), MaxImagePixels, "the image pixel limit must be at least 1 (or null for the default)");
        if (!Enum.IsDefined(Split))
            throw new ArgumentOutOfRangeException(nameof(Split), Split, "split must be Train or Test");
        if (string.IsNullOrWhiteSpace(DatasetsRoot))
            throw new ArgumentException("the datasets root must be a folder path", nameof(DatasetsRoot));
        return this;
    }
}
