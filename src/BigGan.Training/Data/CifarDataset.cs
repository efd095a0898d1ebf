namespace BigGan.Training.Data;

/// <summary>
/// CIFAR-10 / CIFAR-100 in their binary form: fixed-size records of label byte(s) followed by a 32×32 RGB image
/// stored as three 1024-byte planes (R, G, B), which is already CHW. Everything is held in memory (150 MB for the
/// training split). Class names come from batches.meta.txt (CIFAR-10) or fine_label_names.txt (CIFAR-100) next to
/// the data files when present.
/// </summary>
public sealed class CifarDataset : IImageDataset
{
    /// <summary>CIFAR-10's classes, used when batches.meta.txt is absent.</summary>
    public static readonly IReadOnlyList<string> Cifar10ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private const int Side = 32, Plane = Side * Side, ImageBytes = 3 * Plane;

    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    public int Count { get; }
    public int NumClasses { get; }
    public int Channels { get; }
    public int Resolution { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Source { get; }
    public CifarVariant Variant { get; }
    public IReadOnlyList<string> Files { get; }

    /// <param name="files">The binary batch files, read in this order.</param>
    /// <param name="variant">Which record layout the files use.</param>
    /// <param name="resolution">Output size; null means the stored 32.</param>
    /// <param name="options">Channels (3 by default; 1 converts to BT.601 luma) is used.</param>
    public CifarDataset(IEnumerable<string> files, CifarVariant variant, int? resolution = null, DatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        options = (options ?? new DatasetOptions()).Validate();
        Files = files.ToArray();
        if (Files.Count == 0) throw new ArgumentException("no CIFAR batch files given", nameof(files));
        if (!Enum.IsDefined(variant)) throw new ArgumentOutOfRangeException(nameof(variant), variant, "unknown CIFAR variant");
        Variant = variant;
        Source = Files.Count == 1 ? Files[0] : Path.GetDirectoryName(Path.GetFullPath(Files[0]))!;
        NumClasses = variant == CifarVariant.Cifar10 ? 10 : 100;
        int labelBytes = variant == CifarVariant.Cifar10 ? 1 : 2, record = labelBytes + ImageBytes;

        long total = 0;
        foreach (var f in Files)
        {
            if (!File.Exists(f)) throw new FileNotFoundException($"CIFAR batch file not found: {f}", f);
            long length = new FileInfo(f).Length;
            if (length == 0) throw new InvalidDataException($"{f}: the CIFAR batch file is empty");
            if (length % record != 0)
                throw new InvalidDataException($"{f}: truncated or not a {Name(variant)} batch: {length} bytes is not a whole number of {record}-byte records ({length / record} records and {length % record} bytes left over)");
            total += length / record;
        }
        if (total * ImageBytes > Array.MaxLength) throw new InvalidDataException($"{Source}: {total} CIFAR images are more than one array can hold");

        Count = (int)total;
        _pixels = new byte[total * ImageBytes];
        _labels = new byte[total];
        int n = 0;
        foreach (var f in Files)
        {
            var data = File.ReadAllBytes(f);
            for (int r = 0; r < data.Length / record; r++, n++)
            {
                var rec = data.AsSpan(r * record, record);
                byte label = rec[labelBytes - 1]; // CIFAR-100: [coarse, fine]; the fine label is the class
                if (label >= NumClasses)
                    throw new InvalidDataException($"{f}: label {label} of record {r} is out of range: expected 0..{NumClasses - 1} for {Name(variant)}");
                if (labelBytes == 2 && rec[0] >= 20)
                    throw new InvalidDataException($"{f}: coarse label {rec[0]} of record {r} is out of range: expected 0..19 for CIFAR-100");
                _labels[n] = label;
                rec[labelBytes..].CopyTo(_pixels.AsSpan(n * ImageBytes, ImageBytes));
            }
        }

        Resolution = resolution ?? Side;
        if (Resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "the resolution must be positive");
        Channels = options.Channels ?? 3;
        ClassNames = ReadClassNames(Path.GetDirectoryName(Path.GetFullPath(Files[0]))!, variant, NumClasses);
    }

    /// <summary>
    /// The CIFAR files of one split in a folder (or in its cifar-10-batches-bin / cifar-100-binary subfolder, as the
    /// archives unpack): data_batch_1..5.bin or test_batch.bin for CIFAR-10, train.bin or test.bin for CIFAR-100.
    /// Null when the folder holds neither.
    /// </summary>
    public static (CifarVariant variant, string[] files)? FindFiles(string folder, DatasetSplit split)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, "cifar-10-batches-bin"), Path.Combine(folder, "cifar-100-binary") })
        {
            if (!Directory.Exists(dir)) continue;
            var c10 = split == DatasetSplit.Train
                ? Directory.GetFiles(dir, "data_batch_*.bin").Order(StringComparer.Ordinal).ToArray()
                : Directory.GetFiles(dir, "test_batch.bin");
            if (c10.Length > 0) return (CifarVariant.Cifar10, c10);
            var c100 = Path.Combine(dir, split == DatasetSplit.Train ? "train.bin" : "test.bin");
            if (File.Exists(c100)) return (CifarVariant.Cifar100, [c100]);
        }
        return null;
    }

    /// <summary>Opens one split of the CIFAR files in a folder (see <see cref="FindFiles"/>).</summary>
    public static CifarDataset FromFolder(string folder, int? resolution = null, DatasetOptions? options = null)
    {
        options ??= new DatasetOptions();
        var found = FindFiles(folder, options.Split)
            ?? throw new FileNotFoundException($"{folder}: no CIFAR {options.Split.ToString().ToLowerInvariant()} files: expected " +
                (options.Split == DatasetSplit.Train ? "data_batch_1..5.bin (CIFAR-10) or train.bin (CIFAR-100)" : "test_batch.bin (CIFAR-10) or test.bin (CIFAR-100)"));
        return new CifarDataset(found.files, found.variant, resolution, options);
    }

    public int GetLabel(int index) => _labels[CheckIndex(index)];

    public int Read(int index, Span<byte> pixels)
    {
        CheckIndex(index);
        int plane = Resolution * Resolution;
        if (pixels.Length != Channels * plane)
            throw new ArgumentException($"the pixel buffer holds {pixels.Length} bytes, expected {Channels}×{Resolution}×{Resolution}", nameof(pixels));
        var stored = _pixels.AsSpan(index * ImageBytes, ImageBytes);
        if (Resolution == Side)
        {
            PixelOps.ConvertChannels(stored, 3, pixels, Channels, plane);
        }
        else
        {
            var fitted = new byte[3 * plane];
            PixelOps.FitSquare(stored, 3, Side, Side, Resolution, fitted);
            PixelOps.ConvertChannels(fitted, 3, pixels, Channels, plane);
        }
        return _labels[index];
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"item index must be in [0, {Count})");
        return index;
    }

    private static string Name(CifarVariant v) => v == CifarVariant.Cifar10 ? "CIFAR-10" : "CIFAR-100";

    private static IReadOnlyList<string> ReadClassNames(string folder, CifarVariant variant, int numClasses)
    {
        var meta = Path.Combine(folder, variant == CifarVariant.Cifar10 ? "batches.meta.txt" : "fine_label_names.txt");
        if (!File.Exists(meta))
            return variant == CifarVariant.Cifar10 ? Cifar10ClassNames : Enumerable.Range(0, numClasses).Select(i => i.ToString()).ToArray();
        var names = File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != numClasses)
            throw new InvalidDataException($"{meta}: {names.Length} class names, expected {numClasses} (one per line)");
        return names;
    }
}
