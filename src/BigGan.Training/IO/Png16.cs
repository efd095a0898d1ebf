using System.Buffers.Binary;
using System.IO.Compression;

namespace BigGan.Training.IO;

/// <summary>
/// The samples of 16-bit PNGs. Skia reduces them to their high byte (v >> 8); the OpenCV version gave round(v / 257),
/// which differs by one for about half of all values, so these few files are read here: chunks (CRC-checked),
/// inflate, unfilter, de-interlace, one row at a time. Bounds come from IHDR, which the caller has already held
/// against the pixel limit; short or corrupt data throws <see cref="InvalidDataException"/>.
/// </summary>
internal static class Png16
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // Adam7 passes: first column, first row, column step, row step
    private static readonly (int x0, int y0, int dx, int dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly (int x0, int y0, int dx, int dy)[] Progressive = [(0, 0, 1, 1)];

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>Whether <paramref name="data"/> is a PNG whose IHDR says 16 bits per sample.</summary>
    public static bool IsSixteenBit(ReadOnlySpan<byte> data) =>
        data.Length >= 33 && data[..8].SequenceEqual(Signature) && data.Slice(12, 4).SequenceEqual("IHDR"u8) && data[24] == 16;

    /// <summary>uint8 [1, H, W] for gray, [3, H, W] otherwise (gray + alpha repeats the gray; alpha is dropped), each sample round(v / 257).</summary>
    public static Tensor Decode(ReadOnlySpan<byte> data)
    {
        int width = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data[16..])), height = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
        int colorType = data[25], interlace = data[28];
        int channels = colorType switch
        {
            0 => 1, 2 => 3, 4 => 2, 6 => 4,
            _ => throw new InvalidDataException($"16-bit PNG with color type {colorType}, which the format does not allow"),
        };
        if (data[26] != 0 || data[27] != 0 || interlace > 1) throw new InvalidDataException("PNG with an unknown compression, filter or interlace method");
        int outChannels = channels == 1 ? 1 : 3;
        var image = torch.empty([height, width, outChannels], ScalarType.Byte);
        try
        {
            using var idat = new MemoryStream(ImageData(data));
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            var output = image.bytes;
            int bpp = channels * 2;
            foreach (var (x0, y0, dx, dy) in interlace == 1 ? Adam7 : Progressive)
            {
                int w = width > x0 ? (width - x0 + dx - 1) / dx : 0, h = height > y0 ? (height - y0 + dy - 1) / dy : 0;
                if (w == 0 || h == 0) continue; // an empty pass has no rows, not even filter bytes
                var row = new byte[1 + (long)w * bpp > int.MaxValue ? throw new InvalidDataException("PNG rows too long") : 1 + w * bpp];
                var previous = new byte[row.Length];
                for (int r = 0; r < h; r++)
                {
                    z.ReadExactly(row);
                    Unfilter(row, previous, bpp);
                    for (int c = 0; c < w; c++)
                    {
                        long at = ((long)(y0 + r * dy) * width + x0 + c * dx) * outChannels;
                        int s = 1 + c * bpp;
                        byte gray = To8(row, s);
                        if (channels <= 2) { output[(int)at] = gray; if (outChannels == 3) output[(int)at + 1] = output[(int)at + 2] = gray; }
                        else { output[(int)at] = gray; output[(int)at + 1] = To8(row, s + 2); output[(int)at + 2] = To8(row, s + 4); }
                    }
                    (row, previous) = (previous, row);
                }
            }
            using var chw = image.permute(2, 0, 1);
            return chw.contiguous();
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw new InvalidDataException(e is EndOfStreamException ? "the Png image is truncated" : e.Message, e);
        }
        finally { image.Dispose(); }
    }

    /// <summary>round(v / 257) for the big-endian sample at <paramref name="i"/>, in integers (no ties exist: 257 is odd).</summary>
    private static byte To8(byte[] row, int i) => (byte)((2 * ((row[i] << 8) | row[i + 1]) + 257) / 514);

    /// <summary>The concatenated IDAT payloads; every chunk's length and CRC checked against the file.</summary>
    private static byte[] ImageData(ReadOnlySpan<byte> data)
    {
        using var idat = new MemoryStream();
        int at = 8;
        while (true)
        {
            if (data.Length - at < 12) throw new InvalidDataException("the Png image is truncated (no IEND chunk)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            if (length > data.Length - at - 12) throw new InvalidDataException("the Png image is truncated (a chunk runs past the end)");
            var typeAndData = data.Slice(at + 4, 4 + (int)length);
            if (Crc(typeAndData) != BinaryPrimitives.ReadUInt32BigEndian(data[(at + 8 + (int)length)..]))
                throw new InvalidDataException($"the Png image is corrupt (bad CRC in chunk '{System.Text.Encoding.ASCII.GetString(typeAndData[..4])}')");
            var type = typeAndData[..4];
            if (type.SequenceEqual("IDAT"u8)) idat.Write(typeAndData[4..]);
            if (type.SequenceEqual("IEND"u8)) return idat.ToArray();
            at += 12 + (int)length;
        }
    }

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>Undoes the row's filter in place (byte 0 is the filter type); <paramref name="previous"/> is the unfiltered row above, or zeros.</summary>
    private static void Unfilter(byte[] row, byte[] previous, int bpp)
    {
        int filter = row[0];
        for (int i = 1; i < row.Length; i++)
        {
            int left = i > bpp ? row[i - bpp] : 0, up = previous[i], upLeft = i > bpp ? previous[i - bpp] : 0;
            row[i] += filter switch
            {
                0 => (byte)0,
                1 => (byte)left,
                2 => (byte)up,
                3 => (byte)((left + up) >> 1),
                4 => Paeth(left, up, upLeft),
                _ => throw new InvalidDataException($"the Png image is corrupt (row filter {filter})"),
            };
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
