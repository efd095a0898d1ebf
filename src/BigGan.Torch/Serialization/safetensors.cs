using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BigGan.Torch;

/// <summary>
/// The safetensors format (an 8-byte little-endian header length, a JSON header of dtype/shape/offsets plus
/// string metadata, then raw little-endian bytes), readable by Python's safetensors and Hugging Face tools.
/// Writes are atomic: a temporary file in the same folder is flushed to disk, then renamed over the target.
/// </summary>
public static class safetensors
{
    private const long MaxHeaderBytes = 100L << 20;

    private static readonly Dictionary<ScalarType, string> Codes = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    public static void save_file(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
            var bytes = t.bytes();
            header[name] = new JsonObject
            {
                ["dtype"] = Codes.TryGetValue(t.dtype, out var c) ? c : throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors cannot store"),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // align the data section to 8 bytes, padding the header with spaces
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var b in blobs) stream.Write(b);
        });
    }

    /// <summary>All tensors (in file order) and the metadata of a safetensors file.</summary>
    public static (OrderedDictionary<string, Tensor> tensors, Dictionary<string, string> metadata) load_file(string path)
    {
        using var stream = Open(path);
        var (entries, metadata, dataStart) = ReadHeader(stream, path);
        var result = new OrderedDictionary<string, Tensor>();
        try
        {
            foreach (var e in entries.OrderBy(e => e.begin))
            {
                var bytes = new byte[e.end - e.begin];
                stream.Position = dataStart + e.begin;
                stream.ReadExactly(bytes);
                result.Add(e.name, RawTensor(bytes, e.dtype, e.shape));
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        // keep the file's header order
        var ordered = new OrderedDictionary<string, Tensor>();
        foreach (var e in entries) ordered.Add(e.name, result[e.name]);
        return (ordered, metadata);
    }

    /// <summary>Only the string metadata (cheap: the tensor data is not read).</summary>
    public static Dictionary<string, string> read_metadata(string path)
    {
        using var stream = Open(path);
        return ReadHeader(stream, path).metadata;
    }

    private static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static unsafe Tensor RawTensor(byte[] bytes, ScalarType dtype, long[] shape)
    {
        fixed (byte* d = bytes)
        fixed (long* s = shape)
        {
            Native.Status.Check(Native.NativeMethods.bgn_tensor_from_data(d, bytes.Length, s, shape.Length, (int)dtype, out var h));
            return new Tensor(h);
        }
    }

    private readonly record struct Entry(string name, ScalarType dtype, long[] shape, long begin, long end);

    private static (List<Entry> entries, Dictionary<string, string> metadata, long dataStart) ReadHeader(FileStream stream, string path)
    {
        InvalidDataException Bad(string why) => new($"{path} is not a valid safetensors file: {why}");
        if (stream.Length < 8) throw Bad($"it has {stream.Length} bytes, fewer than the 8-byte header length");
        Span<byte> len = stackalloc byte[8];
        stream.ReadExactly(len);
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > (ulong)MaxHeaderBytes || (long)headerLen > stream.Length - 8)
            throw Bad($"header length {headerLen} exceeds the file size {stream.Length} (truncated or corrupt)");
        var json = new byte[headerLen];
        stream.ReadExactly(json);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json)?.AsObject() ?? throw Bad("the header is not a JSON object");
            _ = header.Count; // JsonObject builds its dictionary lazily; a repeated name must fail here, with the file named
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw Bad("the header is not valid JSON (" + e.Message + ")"); }
        catch (ArgumentException e) { throw Bad("the header names a tensor twice (" + e.Message + ")"); }

        var dataStart = 8 + (long)headerLen;
        var dataLen = stream.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject meta) throw Bad("__metadata__ is not an object");
                foreach (var (k, v) in meta)
                    metadata[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : throw Bad($"metadata '{k}' is not a string");
                continue;
            }
            try
            {
                var o = node!.AsObject();
                var code = o["dtype"]!.GetValue<string>();
                var dtype = Codes.FirstOrDefault(kv => kv.Value == code).Key;
                if (!Codes.ContainsKey(dtype) || Codes[dtype] != code) throw Bad($"tensor '{name}' has unknown dtype '{code}'");
                var shape = o["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offs = o["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                if (shape.Any(s => s < 0)) throw Bad($"tensor '{name}' has a negative dimension");
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0]) throw Bad($"tensor '{name}' has invalid data_offsets");
                if (offs[1] > dataLen) throw Bad($"tensor '{name}' ends at byte {offs[1]} of a data section of {dataLen} bytes (truncated file)");
                var need = shape.Aggregate(1L, (a, b) => checked(a * b)) * dtype.ElementSize();
                if (need != offs[1] - offs[0]) throw Bad($"tensor '{name}' has shape [{string.Join(", ", shape)}] ({need} bytes) but {offs[1] - offs[0]} bytes of data");
                entries.Add(new Entry(name, dtype, shape, offs[0], offs[1]));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or OverflowException)
            {
                throw Bad($"tensor '{name}' has a malformed entry ({e.Message})");
            }
        }
        return (entries, metadata, dataStart);
    }
}
