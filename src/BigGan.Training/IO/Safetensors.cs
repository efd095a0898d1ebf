using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace BigGan.Training.IO;

/// <summary>
/// The safetensors format (an 8-byte little-endian header length, a JSON header of dtype/shape/offsets plus string
/// metadata, then raw little-endian bytes), readable by Python's safetensors and Hugging Face tools.
/// Writes are atomic (see <see cref="AtomicFile"/>); reads validate the whole header before any tensor is allocated.
/// Every file written here carries a SHA-256 of its data section in the metadata (<see cref="ChecksumKey"/>), which a
/// load that reads every tensor verifies, so flipped bits on disk are found; files without it (other tools, older
/// versions) load unverified. The key is an implementation detail: it is not part of the metadata returned.
/// </summary>
public static class Safetensors
{
    /// <summary>Metadata key of the lowercase hex SHA-256 of the data section (all tensor bytes in file order).</summary>
    public const string ChecksumKey = "biggan.data_sha256";

    /// <summary>Test hook: tensor data bytes read by <see cref="Load(string, Func{SafetensorsEntry, bool}?)"/> on this thread.</summary>
    [ThreadStatic] internal static long DataBytesRead;

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout; stored in dictionary order) and optional string
    /// metadata. Names, dtypes and liveness are checked before the file is touched.
    /// </summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        var withChecksum = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (k, v) in metadata) withChecksum[k] = v;
        withChecksum[ChecksumKey] = Checksum(tensors.Values);
        var header = Header(tensors, withChecksum);
        var padded = (header.Length + 7) / 8 * 8; // the data section starts 8-byte aligned; the header is padded with spaces
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(header);
            for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in tensors.Values)
            {
                using var scope = torch.NewDisposeScope();
                var raw = t.device_type == DeviceType.CPU && t.is_contiguous() ? t : t.detach().cpu().contiguous();
                TensorBytes.Write(raw, stream);
            }
        });
    }

    /// <summary>All tensors (in header order) and the metadata of a safetensors file.</summary>
    public static (OrderedDictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Load(string path) => Load(path, null);

    /// <summary>
    /// The tensors that <paramref name="include"/> accepts (all when null), in header order, and the metadata.
    /// <paramref name="include"/> sees every entry — name, dtype, shape — after the whole header has been validated
    /// and before any tensor is allocated or read: return false to skip a tensor, or throw to refuse the file (a
    /// checkpoint loader can reject an unexpected 1.5 GiB tensor this way without reading it).
    /// </summary>
    public static (OrderedDictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Load(string path, Func<SafetensorsEntry, bool>? include)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        using var stream = Open(path);
        var header = SafetensorsHeader.Read(stream, path);
        var wanted = header.Entries.Where(e => include?.Invoke(e) ?? true).ToList();
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        // the checksum covers the whole data section, so only a load of every tensor can verify it
        var stored = wanted.Count == header.Entries.Count ? header.Metadata.GetValueOrDefault(ChecksumKey) : null;
        using var hash = stored is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            foreach (var e in wanted.OrderBy(e => e.Begin)) // file order: the reads run forward
            {
                var t = torch.empty(e.Shape, e.DType);
                loaded.Add(e.Name, t);
                stream.Position = header.DataStart + e.Begin;
                TensorBytes.Read(stream, t);
                DataBytesRead += e.ByteCount;
                if (hash is not null) TensorBytes.Hash(t, hash);
            }
            if (hash is not null && Convert.ToHexStringLower(hash.GetHashAndReset()) is var computed && computed != stored)
                throw new InvalidDataException($"{path} is corrupt: its tensor data does not match the SHA-256 written with it " +
                                               $"(metadata '{ChecksumKey}' {stored}, data {computed}); the file was damaged after it was saved");
        }
        catch (Exception ex)
        {
            foreach (var t in loaded.Values) t.Dispose();
            if (ex is EndOfStreamException) throw new InvalidDataException($"{path} was truncated while it was being read", ex);
            throw;
        }
        var ordered = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in wanted) ordered.Add(e.Name, loaded[e.Name]);
        return (ordered, WithoutChecksum(header.Metadata));
    }

    /// <summary>The validated header: every tensor's name, dtype, shape and byte range, and the metadata. No tensor data is read.</summary>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var stream = Open(path);
        return SafetensorsHeader.Read(stream, path);
    }

    /// <summary>Only the string metadata (cheap: the tensor data is not read).</summary>
    public static Dictionary<string, string> ReadMetadata(string path) => WithoutChecksum(ReadHeader(path).Metadata);

    private static Dictionary<string, string> WithoutChecksum(IReadOnlyDictionary<string, string> metadata)
    {
        var result = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        result.Remove(ChecksumKey);
        return result;
    }

    /// <summary>The lowercase hex SHA-256 of the tensors' bytes as <see cref="Save"/> writes them, in order.</summary>
    private static string Checksum(IEnumerable<Tensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tensors)
        {
            if (t is null || t.IsInvalid) continue; // Header() refuses these with a message naming the tensor
            using var scope = torch.NewDisposeScope();
            var raw = t.device_type == DeviceType.CPU && t.is_contiguous() ? t : t.detach().cpu().contiguous();
            TensorBytes.Hash(raw, hash);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        // unbuffered: tensor bytes are read straight into tensor memory
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
    }

    /// <summary>The header JSON (metadata first, then the tensors in order with consecutive offsets).</summary>
    private static byte[] Header(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata)
                {
                    if (v is null) throw new ArgumentException($"metadata '{k}' is null; safetensors metadata values are strings", nameof(metadata));
                    w.WriteString(k, v);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
                if (t is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
                if (t.IsInvalid) throw new ObjectDisposedException($"tensor '{name}'", $"tensor '{name}' has been disposed");
                if (!SafetensorsDType.TryCode(t.dtype, out var code))
                    throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors cannot store", nameof(tensors));
                long bytes = checked(t.numel() * SafetensorsDType.Size(t.dtype));
                w.WriteStartObject(name);
                w.WriteString("dtype", code);
                w.WriteStartArray("shape");
                foreach (var s in t.shape) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
