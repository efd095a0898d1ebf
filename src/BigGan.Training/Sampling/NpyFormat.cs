using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace BigGan.Training.Sampling;

/// <summary>
/// numpy's .npy format, version 1.0: the magic "\x93NUMPY", version bytes 1 0, a little-endian uint16 header length,
/// then an ASCII dict literal {'descr': ..., 'fortran_order': False, 'shape': (...), } padded with spaces and a final
/// newline so that the data starts at a multiple of 64 bytes, then the data in C order.
/// </summary>
public static class NpyFormat
{
    /// <summary>dtype descriptors for the element types written here.</summary>
    public const string UInt8 = "|u1";
    public const string Int64 = "<i8";
    public const string Float32 = "<f4";

    private const int Alignment = 64;

    /// <summary>The header bytes (magic to the newline) of an array of the given dtype and shape.</summary>
    public static byte[] Header(string descr, IReadOnlyList<long> shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(descr);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"npy shape has a negative dimension: ({string.Join(", ", shape)})", nameof(shape));
        var dims = shape.Count == 1
            ? shape[0].ToString(CultureInfo.InvariantCulture) + ","
            : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        const int prefix = 10; // magic (6) + version (2) + header length (2)
        var total = prefix + dict.Length + 1;
        var padded = (total + Alignment - 1) / Alignment * Alignment;
        var text = dict + new string(' ', padded - total) + "\n";
        if (text.Length > ushort.MaxValue) throw new ArgumentException("npy header too long for format version 1.0", nameof(shape));
        var bytes = new byte[prefix + text.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, bytes.AsSpan(prefix));
        return bytes;
    }
}
