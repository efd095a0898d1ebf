using TorchSharp;


namespace BigGan.Training.Data;

/// <summary>
/// A folder with one subfolder per class (classes sorted by name, ordinal), each holding PNG, JPEG, BMP or WebP
/// images (searched recursively; other files are ignored). Images are center-cropped to a square on their short side
/// and resized to the resolution. Opening the folder decodes every image once, to find undecodable ones up front and
/// to learn whether all are grayscale; after that images are decoded when read, so a big folder needs no memory
/// unless <see cref="DatasetOptions.CacheInMemory"/> keeps them.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    /// <summary>File extensions read as images (case-insensitive).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly byte[]?[]? _cache;
    private readonly long? _maxPixels;

    public int Count => _files.Length;
    public int NumClasses => ClassNames.Count;
    public int Channels { get; }
    public int Resolution { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Source { get; }

    /// <summary>The image files, in item order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Images left out because they did not decode (only with <see cref="DatasetOptions.SkipBadImages"/>).</summary>
    public IReadOnlyList<string> SkippedFiles { get; }

    /// <summary>Number of images left out because they did not decode.</summary>
    public int SkippedImages => SkippedFiles.Count;

    /// <summary>The reasons, in <see cref="SkippedFiles"/> order (each names its file).</summary>
    public IReadOnlyList<string> SkipReasons { get; }

    /// <summary>"skipped 3 of 120 images that do not decode (--skip-bad-images): a.png: …; …": what a user is told.</summary>
    public string DescribeSkipped(int listed = 3)
    {
        if (SkippedImages == 0) return $"{Source}: no image was skipped";
        var shown = string.Join("; ", SkipReasons.Take(listed));
        var more = SkippedImages > listed ? $"; and {SkippedImages - listed} more" : "";
        return $"{Source}: skipped {SkippedImages} of {SkippedImages + Count} images that do not decode (--skip-bad-images): {shown}{more}";
    }

    /// <param name="root">The folder holding one subfolder per class.</param>
    /// <param name="resolution">Height and width of the images after crop and resize.</param>
    /// <param name="options">Channels, CacheInMemory and SkipBadImages are used.</param>
    public ImageFolderDataset(string root, int resolution, DatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options = (options ?? new DatasetOptions()).Validate();
        if (resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "the resolution must be positive");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder not found: {root}");
        Source = root;
        Resolution = resolution;
        _maxPixels = options.MaxImagePixels;

        var classDirs = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"{root}: no class subfolders: an image folder needs one subfolder per class ({Path.Combine(root, "<class>", "<image>.png")})");

        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.EnumerateFiles(classDirs[c], "*", SearchOption.AllDirectories)
                .Where(IsImageFile)
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"{classDirs[c]}: the class folder holds no images ({string.Join(", ", Extensions)}); every class needs at least one");
            files.AddRange(images);
            labels.AddRange(Enumerable.Repeat(c, images.Length));
        }

        // Decode everything once (in parallel): bad files are found now, not hours into training.
        var gray = new bool[files.Count];
        var errors = new string?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try { gray[i] = IsGrayscale(files[i], _maxPixels); }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or System.Runtime.InteropServices.ExternalException)
            {
                errors[i] = e.Message.StartsWith(files[i], StringComparison.Ordinal) ? e.Message : $"{files[i]}: {e.Message}";
            }
        });
        var bad = Enumerable.Range(0, files.Count).Where(i => errors[i] is not null).ToArray();
        if (bad.Length > 0 && !options.SkipBadImages)
        {
            string more = bad.Length > 1 ? $" (and {bad.Length - 1} more undecodable image{(bad.Length > 2 ? "s" : "")})" : "";
            throw new InvalidDataException($"{errors[bad[0]]}{more}; {(bad.Length == 1 ? "fix or remove it, or skip it" : "fix or remove them, or skip them")} with SkipBadImages (--skip-bad-images)");
        }
        SkippedFiles = bad.Select(i => files[i]).ToArray();
        SkipReasons = bad.Select(i => errors[i]!).ToArray();

        var keep = Enumerable.Range(0, files.Count).Where(i => errors[i] is null).ToArray();
        for (int c = 0; c < classDirs.Length; c++)
            if (!keep.Any(i => labels[i] == c))
                throw new InvalidDataException($"{classDirs[c]}: the class folder holds no decodable images ({SkippedFiles.Count(f => f.StartsWith(classDirs[c] + Path.DirectorySeparatorChar, StringComparison.Ordinal))} skipped); every class needs at least one");
        _files = keep.Select(i => files[i]).ToArray();
        _labels = keep.Select(i => labels[i]).ToArray();
        ClassNames = classDirs.Select(d => Path.GetFileName(d)).ToArray();
        Channels = options.Channels ?? (keep.All(i => gray[i]) ? 1 : 3);
        if (options.CacheInMemory) _cache = new byte[_files.Length][];
    }

    public int GetLabel(int index) => _labels[CheckIndex(index)];

    public int Read(int index, Span<byte> pixels)
    {
        CheckIndex(index);
        int size = Channels * Resolution * Resolution;
        if (pixels.Length != size)
            throw new ArgumentException($"the pixel buffer holds {pixels.Length} bytes, expected {Channels}×{Resolution}×{Resolution}", nameof(pixels));
        if (_cache?[index] is { } cached)
        {
            cached.CopyTo(pixels);
            return _labels[index];
        }
        Decode(_files[index], pixels);
        if (_cache is not null) _cache[index] = pixels.ToArray(); // a race decodes twice and stores equal bytes
        return _labels[index];
    }

    private void Decode(string path, Span<byte> pixels)
    {
        using var scope = torch.NewDisposeScope();
        Tensor image;
        try { image = ImageCodec.Read(path, Channels == 1 ? ImageReadMode.Gray : ImageReadMode.Rgb, _maxPixels); }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException or System.Runtime.InteropServices.ExternalException or ArgumentException)
                                  && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var fitted = PixelOps.FitSquare(image, Resolution);
        fitted.CopyTo(pixels);
    }

    private static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase) && !Path.GetFileName(path).StartsWith('.');

    /// <summary>Decodes the file as stored: one channel, or three equal ones, is grayscale.</summary>
    private static bool IsGrayscale(string path, long? maxPixels)
    {
        using var scope = torch.NewDisposeScope();
        Tensor image;
        try { image = ImageCodec.Read(path, ImageReadMode.Unchanged, maxPixels); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        var s = image.shape;
        if (s[0] == 1) return true;
        var bytes = image.ToArray<byte>();
        int plane = checked((int)(s[1] * s[2]));
        var p = bytes.AsSpan();
        return p[..plane].SequenceEqual(p.Slice(plane, plane)) && p[..plane].SequenceEqual(p.Slice(2 * plane, plane));
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"item index must be in [0, {Count})");
        return index;
    }
}
