using System.Buffers.Binary;
using System.IO.Compression;

namespace BigGan.Training.Data;

/// <summary>
/// MNIST-style idx files: an images file (idx3-ubyte: magic 0x00000803, count, rows, cols, then the pixels) and a
/// labels file (idx1-ubyte: magic 0x00000801, count, then one byte per label), each raw or gzip-compressed
/// (detected from the content, not the name). Everything is held in memory (Fashion-MNIST's training split is 47 MB).
/// 28×28 images are padded with two zero pixels on every side to 32×32, as torchvision's Pad(2): the padding is
/// pixel value 0, which scales to -1 (the black background). Resolution 28 keeps them unpadded; any other resolution
/// resizes the padded 32×32 image.
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    /// <summary>Fashion-MNIST's classes, in label order.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's classes: the digits.</summary>
    public static readonly IReadOnlyList<string> MnistClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private const int ImagesMagic = 0x00000803, LabelsMagic = 0x00000801;

    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _storedChannels = 1;
    private readonly int _paddedSize;

    public int Count { get; }
    public int NumClasses { get; }
    public int Channels { get; }
    public int Resolution { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Source => ImagesPath;

    public string ImagesPath { get; }
    public string LabelsPath { get; }

    /// <summary>Height and width of the images as stored in the file.</summary>
    public (int Height, int Width) StoredSize { get; }

    /// <param name="imagesPath">The idx3-ubyte images file (raw or .gz).</param>
    /// <param name="labelsPath">The idx1-ubyte labels file (raw or .gz).</param>
    /// <param name="resolution">Output size; null means 32 for 28×28 images (padded) and the stored size otherwise.</param>
    /// <param name="options">Channels (1 by default; 3 repeats the plane) and NumClasses (10 by default) are used.</param>
    /// <param name="classNames">Names for the classes; the digits (or their numbers) when null.</param>
    public IdxDataset(string imagesPath, string labelsPath, int? resolution = null, DatasetOptions? options = null,
                      IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        options = (options ?? new DatasetOptions()).Validate();
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;

        NumClasses = options.NumClasses ?? classNames?.Count ?? 10;
        if (classNames is not null && classNames.Count != NumClasses)
            throw new ArgumentException($"{classNames.Count} class names given for {NumClasses} classes", nameof(classNames));
        ClassNames = classNames ?? (NumClasses == 10 ? MnistClassNames : Enumerable.Range(0, NumClasses).Select(i => i.ToString()).ToArray());

        var (count, dims, pixels) = ReadIdx(imagesPath, ImagesMagic, 3, "images", d => $"images of {d[0]}×{d[1]}", "a mix of image sizes, or a header that does not match the data");
        int rows = dims[0], cols = dims[1];
        _pixels = pixels;

        var (labelCount, _, labels) = ReadIdx(labelsPath, LabelsMagic, 1, "labels", _ => "labels", "a header that does not match the data");
        if (labelCount != count)
            throw new InvalidDataException($"{labelsPath}: holds {labelCount} labels but {imagesPath} holds {count} images; the two files must belong together");
        _labels = labels;
        for (int i = 0; i < _labels.Length; i++)
            if (_labels[i] >= NumClasses)
                throw new InvalidDataException($"{labelsPath}: label {_labels[i]} of item {i} is out of range: expected 0..{NumClasses - 1} ({NumClasses} classes)");

        Count = count;
        StoredSize = (rows, cols);
        _paddedSize = rows == 28 && cols == 28 ? 32 : 0;
        Resolution = resolution ?? (_paddedSize != 0 ? _paddedSize : Math.Max(rows, cols));
        if (Resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "the resolution must be positive");
        if (Resolution == rows && rows == cols) _paddedSize = 0; // e.g. 28 asked for 28×28: no padding
        Channels = options.Channels ?? 1;
    }

    public int GetLabel(int index) => _labels[CheckIndex(index)];

    public int Read(int index, Span<byte> pixels)
    {
        CheckIndex(index);
        var (rows, cols) = StoredSize;
        int plane = Resolution * Resolution;
        if (pixels.Length != Channels * plane)
            throw new ArgumentException($"the pixel buffer holds {pixels.Length} bytes, expected {Channels}×{Resolution}×{Resolution}", nameof(pixels));
        var stored = _pixels.AsSpan(index * rows * cols, rows * cols);

        if (_paddedSize == 0 && rows == Resolution && cols == Resolution)
        {
            PixelOps.ConvertChannels(stored, _storedChannels, pixels, Channels, plane);
        }
        else if (_paddedSize == Resolution)
        {
            PixelOps.PadPlane(stored, rows, cols, pixels, Resolution);
            PixelOps.ConvertChannels(pixels[..plane], _storedChannels, pixels, Channels, plane);
        }
        else
        {
            // Pad first (MNIST-style), then crop to a square and resize to the asked resolution.
            int h = rows, w = cols;
            byte[] source;
            if (_paddedSize != 0)
            {
                source = new byte[_paddedSize * _paddedSize];
                PixelOps.PadPlane(stored, rows, cols, source, _paddedSize);
                h = w = _paddedSize;
            }
            else source = stored.ToArray();
            var fitted = new byte[plane];
            PixelOps.FitSquare(source, 1, h, w, Resolution, fitted);
            PixelOps.ConvertChannels(fitted, _storedChannels, pixels, Channels, plane);
        }
        return _labels[index];
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"item index must be in [0, {Count})");
        return index;
    }

    /// <summary>
    /// The most data bytes (after the header) an idx file may announce: what one array holds, far above any real idx
    /// data set (Fashion-MNIST's training images are 47 MB).
    /// </summary>
    public static readonly long MaxDataBytes = Array.MaxLength;

    /// <summary>
    /// Deflate expands at most about 1032-fold, so a gzip file of n bytes cannot hold more than this many times n:
    /// a header announcing more is refused before anything is allocated.
    /// </summary>
    private const long MaxGzipRatio = 1100;

    /// <summary>How many bytes past the announced end are counted for the message before giving up (a bomb never ends).</summary>
    private const long MaxTrailingCounted = 64L << 20;

    /// <summary>
    /// Reads an idx file (raw or gzip, detected from the content) header first: the announced size (count × dims,
    /// 64-bit) is checked against <see cref="MaxDataBytes"/> and against what the file can hold before the data array
    /// is allocated, and exactly that many bytes are read, so a decompression bomb stops at the announced size. Data
    /// shorter or longer than announced is refused, naming the file. Returns the count, the other dimensions, and the data.
    /// </summary>
    internal static (int count, int[] dims, byte[] data) ReadIdx(string path, int magic, int dimensions, string what,
                                                                 Func<int[], string> describeItems, string mismatch)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"idx file not found: {path}", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long fileLength = file.Length;
        Span<byte> signature = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false) == 2 && signature[0] == 0x1f && signature[1] == 0x8b;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            var (count, dims, headerSize) = ParseHeader(path, stream, magic, dimensions, what);
            long itemBytes = dims.Aggregate(1L, (a, b) => a * b); // at most 2 dimensions of int: no overflow
            string items = $"{count} {describeItems(dims)}";
            long expected;
            try { expected = checked(count * itemBytes); }
            catch (OverflowException) { throw new InvalidDataException($"{path}: the header announces {items}, whose size overflows 64 bits"); }
            if (expected > MaxDataBytes)
                throw new InvalidDataException($"{path}: the header announces {items} ({expected} bytes), more than the limit of {MaxDataBytes} bytes for an idx file");
            if (gzip && expected > MaxGzipRatio * fileLength)
                throw new InvalidDataException($"{path}: the header announces {items} ({expected} bytes), more than a gzip file of {fileLength} bytes can hold " +
                                               $"(at most {MaxGzipRatio}× its size): the header does not match the data, or the file is truncated");
            if (!gzip && fileLength - headerSize != expected)
                throw Mismatch(path, items, expected, fileLength - headerSize, exact: true, mismatch);

            var data = new byte[expected];
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < expected) throw Mismatch(path, items, expected, got, exact: true, mismatch);
            // nothing may follow; count what does, up to a bound (the rest of a bomb is never decompressed)
            var scratch = new byte[1 << 16];
            long trailing = 0;
            int n;
            while (trailing <= MaxTrailingCounted && (n = stream.Read(scratch)) > 0) trailing += n;
            if (trailing > 0) throw Mismatch(path, items, expected, expected + trailing, exact: trailing <= MaxTrailingCounted, mismatch);
            return (count, dims, data);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt or truncated ({e.Message})", e);
        }
    }

    private static InvalidDataException Mismatch(string path, string items, long expected, long actual, bool exact, string mismatch) =>
        actual < expected
            ? new($"{path}: truncated: the header announces {items} ({expected} bytes) but only {actual} bytes follow")
            : new($"{path}: the header announces {items} ({expected} bytes) but {(exact ? "" : "more than ")}{actual} bytes follow: {mismatch}");

    private static (int count, int[] dims, int headerSize) ParseHeader(string path, Stream stream, int magic, int dimensions, string what)
    {
        int headerSize = 4 + 4 * dimensions;
        var header = new byte[headerSize];
        int got = stream.ReadAtLeast(header, headerSize, throwOnEndOfStream: false);
        if (got < 4)
            throw new InvalidDataException($"{path}: {got} bytes is too short for an idx {what} file (it starts with a 4-byte magic number)");
        int found = BinaryPrimitives.ReadInt32BigEndian(header);
        if (found != magic)
        {
            string hint = found == ImagesMagic ? " (this is an idx images file)" : found == LabelsMagic ? " (this is an idx labels file)" : "";
            throw new InvalidDataException($"{path}: not an idx {what} file: magic number 0x{found:X8}, expected 0x{magic:X8} (unsigned bytes, {dimensions} dimension{(dimensions == 1 ? "" : "s")}){hint}");
        }
        if (got < headerSize)
            throw new InvalidDataException($"{path}: truncated: the idx header needs {headerSize} bytes but the file holds {got}");
        var sizes = new int[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            sizes[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
            if (sizes[d] < 1)
                throw new InvalidDataException($"{path}: dimension {d} of the idx header is {sizes[d]}; every dimension must be at least 1");
        }
        return (sizes[0], sizes[1..], headerSize);
    }
}
