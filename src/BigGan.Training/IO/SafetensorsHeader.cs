using System.Buffers.Binary;
using System.Text.Json;

namespace BigGan.Training.IO;

/// <summary>
/// The validated header of a safetensors file: its tensors in header order, its string metadata, and where the data
/// section starts. Reading it touches only the first 8 + header-length bytes.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted: safetensors itself refuses more than 100 MB, and nothing real comes close.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public required IReadOnlyList<SafetensorsEntry> Entries { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>The file offset of the data section: 8 + the header length.</summary>
    public required long DataStart { get; init; }

    /// <summary>
    /// Reads and checks the header at the start of <paramref name="stream"/>: every entry well-formed, every dtype
    /// known, byte counts equal to shape × element size (64-bit, overflow-checked), and the data ranges, sorted,
    /// tiling the data section exactly (no gap, no overlap, nothing past the end, nothing after the last). Nothing is
    /// allocated in proportion to what the file claims, only to its header length, which is bounded.
    /// </summary>
    internal static SafetensorsHeader Read(Stream stream, string path)
    {
        InvalidDataException Bad(string why) => new($"{path} is not a valid safetensors file: {why}");
        long fileLength = stream.Length;
        if (fileLength < 8) throw Bad($"it has {fileLength} bytes, fewer than the 8-byte header length");
        Span<byte> len = stackalloc byte[8];
        stream.ReadExactly(len);
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > (ulong)(fileLength - 8))
            throw Bad($"header length {headerLen} exceeds the file size {fileLength} (truncated or corrupt)");
        if (headerLen > MaxHeaderBytes)
            throw Bad($"header length {headerLen} exceeds the limit of {MaxHeaderBytes} bytes");
        var json = new byte[headerLen];
        stream.ReadExactly(json);

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw Bad($"the header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad($"the header is not a JSON object but {root.ValueKind}");
            long dataStart = 8 + (long)headerLen, dataLen = fileLength - dataStart;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                var name = property.Name;
                if (!seen.Add(name)) throw Bad($"the header names a tensor twice ('{name}')");
                if (name == "__metadata__") ReadMetadata(property.Value, metadata, Bad);
                else entries.Add(ReadEntry(name, property.Value, dataLen, Bad));
            }
            CheckTiling(entries, dataLen, Bad);
            return new SafetensorsHeader { Entries = entries, Metadata = metadata, DataStart = dataStart };
        }
    }

    private static void ReadMetadata(JsonElement node, Dictionary<string, string> metadata, Func<string, InvalidDataException> bad)
    {
        if (node.ValueKind != JsonValueKind.Object) throw bad("__metadata__ is not an object");
        foreach (var kv in node.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String) throw bad($"metadata '{kv.Name}' is not a string");
            if (!metadata.TryAdd(kv.Name, kv.Value.GetString()!)) throw bad($"metadata '{kv.Name}' appears twice");
        }
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement node, long dataLen, Func<string, InvalidDataException> bad)
    {
        InvalidDataException Malformed(string why) => bad($"tensor '{name}' has a malformed entry ({why})");
        if (node.ValueKind != JsonValueKind.Object) throw Malformed($"a {node.ValueKind}, not an object");
        if (!node.TryGetProperty("dtype", out var dtypeNode) || dtypeNode.ValueKind != JsonValueKind.String)
            throw Malformed("no string 'dtype'");
        long[] shape = Integers(node, "shape", Malformed);
        long[] offs = Integers(node, "data_offsets", Malformed);

        var code = dtypeNode.GetString()!;
        if (!SafetensorsDType.TryParse(code, out var dtype)) throw bad($"tensor '{name}' has unknown dtype '{code}'");
        if (shape.Any(s => s < 0)) throw bad($"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
        if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0])
            throw bad($"tensor '{name}' has invalid data_offsets [{string.Join(", ", offs)}] (expected [begin, end] with 0 <= begin <= end)");
        if (offs[1] > dataLen) throw bad($"tensor '{name}' ends at byte {offs[1]} of a data section of {dataLen} bytes (truncated file)");
        long need;
        // an empty dimension makes the tensor empty however large the others are
        try { need = shape.Contains(0) ? 0 : shape.Aggregate((long)SafetensorsDType.Size(dtype), (a, b) => checked(a * b)); }
        catch (OverflowException) { throw bad($"tensor '{name}' has shape [{string.Join(", ", shape)}], whose size in bytes overflows 64 bits"); }
        if (need != offs[1] - offs[0])
            throw bad($"tensor '{name}' has shape [{string.Join(", ", shape)}] ({need} bytes) but {offs[1] - offs[0]} bytes of data");
        return new SafetensorsEntry(name, dtype, shape, offs[0], offs[1]);
    }

    /// <summary>An array of 64-bit integers; its length is bounded by the header, which is bounded.</summary>
    private static long[] Integers(JsonElement node, string field, Func<string, InvalidDataException> malformed)
    {
        if (!node.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw malformed($"no array '{field}'");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out result[i++]))
                throw malformed($"'{field}' holds {item.GetRawText()}, not a 64-bit integer");
        }
        return result;
    }

    /// <summary>The data ranges, sorted, must follow one another from byte 0 to the end of the file (as safetensors requires).</summary>
    private static void CheckTiling(List<SafetensorsEntry> entries, long dataLen, Func<string, InvalidDataException> bad)
    {
        long end = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < end) throw bad($"tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps tensor '{previous}', which ends at byte {end}");
            if (e.Begin > end)
                throw bad(previous is null
                    ? $"tensor '{e.Name}' starts at byte {e.Begin}, leaving bytes 0..{e.Begin} of the data section unused"
                    : $"tensor '{e.Name}' starts at byte {e.Begin}, leaving a gap after tensor '{previous}', which ends at byte {end}");
            end = e.End;
            previous = e.Name;
        }
        if (end != dataLen) throw bad($"the tensors end at byte {end} but the data section has {dataLen} bytes (trailing data)");
    }
}
