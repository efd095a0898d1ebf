using System.Buffers.Binary;
using System.IO.Compression;
using BigGan.Training.Data;

namespace BigGan.Training.Tests.Data;

/// <summary>A temporary folder removed at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("biggan-data-").FullName;

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Tiny datasets written by the tests themselves: idx, CIFAR binaries and PNG folders.</summary>
internal static class DataFixtures
{
    /// <summary>A recognisable pixel value for image i, byte k.</summary>
    public static byte Pixel(int image, int k) => (byte)((image * 37 + k * 11 + 5) % 256);

    public static byte[] IdxHeader(int magic, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(h, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * d), dims[d]);
        return h;
    }

    /// <summary>An idx3 images file of count images of rows×cols with <see cref="Pixel"/> values.</summary>
    public static byte[] IdxImages(int count, int rows = 28, int cols = 28)
    {
        var pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++)
            for (int k = 0; k < rows * cols; k++) pixels[i * rows * cols + k] = Pixel(i, k);
        return [.. IdxHeader(0x803, count, rows, cols), .. pixels];
    }

    public static byte[] IdxLabels(params byte[] labels) => [.. IdxHeader(0x801, labels.Length), .. labels];

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Writes train/t10k idx files (gzip or raw) into a folder; returns the images and labels paths of the train split.</summary>
    public static (string images, string labels) WriteIdxPair(string folder, string prefix, byte[] images, byte[] labels, bool gzip)
    {
        Directory.CreateDirectory(folder);
        string ext = gzip ? ".gz" : "";
        var ip = Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}");
        var lp = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}");
        File.WriteAllBytes(ip, gzip ? Gzip(images) : images);
        File.WriteAllBytes(lp, gzip ? Gzip(labels) : labels);
        return (ip, lp);
    }

    /// <summary>CIFAR records: label byte(s) then 3072 pixel bytes of <see cref="Pixel"/>(first + r, k).</summary>
    public static byte[] CifarRecords(int first, byte[][] labels)
    {
        var result = new List<byte>();
        for (int r = 0; r < labels.Length; r++)
        {
            result.AddRange(labels[r]);
            for (int k = 0; k < 3072; k++) result.Add(Pixel(first + r, k));
        }
        return [.. result];
    }

    /// <summary>Writes a PNG of the given uint8 CHW pixels.</summary>
    public static void WritePng(string path, byte[] chw, int channels, int height, int width)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var t = tensor(chw, [channels, height, width]);
        BigGan.Training.IO.ImageCodec.WritePng(t, path);
    }

    /// <summary>A gray image whose pixel (y, x) is f(y, x).</summary>
    public static byte[] GrayImage(int height, int width, Func<int, int, int> f)
    {
        var p = new byte[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) p[y * width + x] = (byte)f(y, x);
        return p;
    }

    public static byte[] ReadItem(IImageDataset d, int index, out int label)
    {
        var p = new byte[d.Channels * d.Resolution * d.Resolution];
        label = d.Read(index, p);
        return p;
    }

    /// <summary>The [-1, 1] float32 value a byte scales to, computed as torchvision does.</summary>
    public static float Scaled(byte v) => (v / 255f - 0.5f) / 0.5f;
}

/// <summary>An in-memory dataset whose item i has label i and recognisable pixels; it counts reads.</summary>
internal sealed class FakeDataset(int count, int channels = 1, int resolution = 4) : IImageDataset
{
    private int _reads;

    public int Count => count;
    public int NumClasses => count;
    public int Channels => channels;
    public int Resolution => resolution;
    public IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, count).Select(i => $"c{i}").ToArray();
    public string Source => "fake";
    public int Reads => Volatile.Read(ref _reads);

    public int GetLabel(int index) => index;

    public int Read(int index, Span<byte> pixels)
    {
        Interlocked.Increment(ref _reads);
        for (int k = 0; k < pixels.Length; k++) pixels[k] = DataFixtures.Pixel(index, k);
        return index;
    }
}
