using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using BigGan.Testing;

namespace BigGan.Training.Tests.IO;

/// <summary>
/// Writes PNG files byte by byte, for the kinds no encoder at hand produces on demand (16-bit, gray + alpha,
/// palette): signature, IHDR, optional PLTE/tRNS, one zlib IDAT of unfiltered rows, IEND.
/// </summary>
internal static class PngBuilder
{
    public const int Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    private static readonly (int x0, int y0, int dx, int dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>
    /// <paramref name="rows"/>: each row's samples, big-endian for 16 bits, without the filter byte. Rows are written
    /// with <paramref name="filter"/> (0 none, 1 sub, 2 up, 3 average, 4 Paeth; -1 cycles through all five), and
    /// Adam7-interlaced when asked (8 and 16 bits only).
    /// </summary>
    public static byte[] Build(int width, int height, int bitDepth, int colorType, byte[][] rows, byte[]? palette = null, byte[]? transparency = null,
                               int filter = 0, bool interlaced = false)
    {
        using var png = new MemoryStream();
        png.Write(PngChunks.Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)(interlaced ? 1 : 0);
        PngChunks.Write(png, "IHDR", ihdr);
        if (palette is not null) PngChunks.Write(png, "PLTE", palette);
        if (transparency is not null) PngChunks.Write(png, "tRNS", transparency);
        int channels = colorType switch { Rgb => 3, GrayAlpha => 2, Rgba => 4, _ => 1 };
        int bpp = Math.Max(1, channels * bitDepth / 8);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            int n = 0;
            foreach (var pass in interlaced ? Passes(rows, width, height, bpp) : [rows])
            {
                var previous = new byte[pass.Length == 0 ? 0 : pass[0].Length];
                foreach (var row in pass)
                {
                    int f = filter >= 0 ? filter : n++ % 5;
                    z.WriteByte((byte)f);
                    z.Write(Filter(row, previous, bpp, f));
                    previous = row;
                }
            }
        }
        PngChunks.Write(png, "IDAT", raw.ToArray());
        PngChunks.Write(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The seven Adam7 sub-images (some possibly empty) of whole-byte pixels.</summary>
    private static IEnumerable<byte[][]> Passes(byte[][] rows, int width, int height, int bpp)
    {
        foreach (var (x0, y0, dx, dy) in Adam7)
        {
            var pass = new List<byte[]>();
            for (int y = y0; y < height && x0 < width; y += dy)
            {
                var row = new List<byte>();
                for (int x = x0; x < width; x += dx) row.AddRange(rows[y].AsSpan(x * bpp, bpp).ToArray());
                pass.Add([.. row]);
            }
            yield return [.. pass];
        }
    }

    private static byte[] Filter(byte[] row, byte[] previous, int bpp, int filter)
    {
        var result = new byte[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous.Length > 0 ? previous[i] : 0, c = i >= bpp && previous.Length > 0 ? previous[i - bpp] : 0;
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            int prediction = filter switch { 1 => a, 2 => b, 3 => (a + b) / 2, 4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c, _ => 0 };
            result[i] = (byte)(row[i] - prediction);
        }
        return result;
    }

    /// <summary>16-bit samples as the big-endian bytes of one row.</summary>
    public static byte[] Row16(params ushort[] samples)
    {
        var row = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * i), samples[i]);
        return row;
    }
}
