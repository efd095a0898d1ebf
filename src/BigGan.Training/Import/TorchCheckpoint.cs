using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace BigGan.Training.Import;

/// <summary>
/// Reads the tensors of a file written by <c>torch.save</c>, in either format: the zip archive of torch ≥ 1.6
/// (<c>&lt;name&gt;/data.pkl</c> plus one <c>&lt;name&gt;/data/&lt;key&gt;</c> entry per storage) and the legacy stream of
/// earlier versions (pickles of a magic number, the protocol version and the system info, then the object, then the
/// storage keys, then each storage as an int64 element count and its raw bytes). Unpickling is restricted
/// (<see cref="RestrictedUnpickler"/>, <see cref="TorchPickleResolver"/>): only state-dict data is built and nothing
/// in the file is ever run. Every size and offset is checked against the file before anything is allocated.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>The legacy format's magic number (torch.serialization.MAGIC_NUMBER).</summary>
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocol = 1001;
    private const long MaxPickleBytes = 1L << 30;

    /// <summary>
    /// The tensors of the file, by name. Nested dicts are flattened with dots, so a file holding
    /// <c>{"G": G.state_dict(), "G_ema": ...}</c> gives "G.linear.weight", "G_ema.linear.weight", ...; values that are not
    /// tensors (step counters, configuration) are left out. Tensors come back contiguous on the CPU, in their saved dtype.
    /// </summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="UnsafePickleException">the pickle needs something other than state-dict data.</exception>
    /// <exception cref="InvalidDataException">the file is not a PyTorch checkpoint, or is damaged.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch checkpoint not found: {path}", path);
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        var n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return LoadZip(stream, path);
        if (n >= 2 && head[0] == 0x80) return LoadLegacy(stream, path);
        throw new InvalidDataException($"{path} is not a PyTorch checkpoint: expected a zip archive (torch >= 1.6) or a pickle stream (older torch.save)");
    }

    private static OrderedDictionary<string, Tensor> LoadZip(FileStream stream, string path)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path} starts like a zip archive but is not a readable one: {e.Message}", e);
        }
        using (zip)
        {
            var pickleEntry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length)
                ?? throw new InvalidDataException($"{path} is a zip archive without a '<name>/data.pkl' entry: not a file written by torch.save");
            var prefix = pickleEntry.FullName[..^"data.pkl".Length];
            using var pickle = ReadEntry(pickleEntry, MaxPickleBytes, path);
            var resolver = new TorchPickleResolver(path);
            var root = RestrictedUnpickler.Load(pickle, $"{path} ({pickleEntry.FullName})", resolver);
            var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            try
            {
                foreach (var s in resolver.Storages.Values)
                {
                    var name = prefix + "data/" + s.Key;
                    var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: storage entry '{name}' is missing");
                    var bytes = CheckedBytes(s, path);
                    if (entry.Length != bytes)
                        throw new InvalidDataException($"{path}: storage entry '{name}' holds {entry.Length} bytes; its tensors need {s.Numel} × {TorchPickleResolver.ElementSize(s.DType)} = {bytes}");
                    CheckDeclaredSize(entry, path);
                    var t = empty(s.Numel, s.DType);
                    storages[s.Key] = t;
                    using var data = entry.Open();
                    TensorBytes.Read(data, t);
                }
                return Collect(root, storages, path);
            }
            finally
            {
                foreach (var t in storages.Values) t.Dispose();
            }
        }
    }

    private static OrderedDictionary<string, Tensor> LoadLegacy(FileStream stream, string path)
    {
        var plain = new TorchPickleResolver(path);
        if (RestrictedUnpickler.Load(stream, path, plain) is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException($"{path} is a pickle but not a legacy torch.save file (no magic number {LegacyMagic})");
        if (RestrictedUnpickler.Load(stream, path, plain) is not long protocol || protocol != LegacyProtocol)
            throw new InvalidDataException($"{path}: legacy torch.save protocol version is not {LegacyProtocol}");
        if (RestrictedUnpickler.Load(stream, path, plain) is not PyDict info || info.Items.GetValueOrDefault("little_endian") is not true)
            throw new InvalidDataException($"{path}: the legacy header's system info is missing or says big-endian (only little-endian files are read)");

        var resolver = new TorchPickleResolver(path);
        var root = RestrictedUnpickler.Load(stream, path, resolver);
        if (RestrictedUnpickler.Load(stream, path, plain) is not List<object?> keys || keys.Any(k => k is not string))
            throw new InvalidDataException($"{path}: the legacy storage key list is missing after the object");

        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            Span<byte> count = stackalloc byte[8];
            foreach (string key in keys.Cast<string>())
            {
                if (!resolver.Storages.TryGetValue(key, out var s)) throw new InvalidDataException($"{path}: storage '{key}' is listed but no tensor uses it");
                if (storages.ContainsKey(key)) throw new InvalidDataException($"{path}: storage '{key}' is listed twice");
                stream.ReadExactly(count);
                var numel = BinaryPrimitives.ReadInt64LittleEndian(count);
                if (numel != s.Numel) throw new InvalidDataException($"{path}: storage '{key}' holds {numel} elements, its reference says {s.Numel}");
                var bytes = CheckedBytes(s, path);
                if (bytes > stream.Length - stream.Position)
                    throw new InvalidDataException($"{path}: storage '{key}' needs {bytes} bytes but only {stream.Length - stream.Position} are left (truncated file?)");
                var t = empty(s.Numel, s.DType);
                storages[key] = t;
                TensorBytes.Read(stream, t);
            }
            var missing = resolver.Storages.Keys.FirstOrDefault(k => !storages.ContainsKey(k));
            if (missing is not null) throw new InvalidDataException($"{path}: storage '{missing}' is used by a tensor but not stored in the file");
            return Collect(root, storages, path);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: the file ends inside its storages (truncated?)");
        }
        finally
        {
            foreach (var t in storages.Values) t.Dispose();
        }
    }

    private static long CheckedBytes(TorchStorageRef s, string path)
    {
        var size = TorchPickleResolver.ElementSize(s.DType);
        if (s.Numel > long.MaxValue / size) throw new InvalidDataException($"{path}: storage '{s.Key}' claims {s.Numel} elements");
        return s.Numel * size;
    }

    // torch.save stores entries uncompressed; a compressed one may expand at most as far as deflate can (about 1032:1),
    // so a tiny entry cannot make the reader allocate gigabytes on its word.
    private static void CheckDeclaredSize(ZipArchiveEntry entry, string path)
    {
        const long MaxDeflateRatio = 1100;
        if (entry.Length > Math.Max(entry.CompressedLength, 0) * MaxDeflateRatio + 1024)
            throw new InvalidDataException($"{path}: '{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} compressed, more than deflate can expand to");
    }

    // The pickle as a seekable stream, read without trusting the entry's declared size.
    private static MemoryStream ReadEntry(ZipArchiveEntry entry, long limit, string path)
    {
        if (entry.Length > limit) throw new InvalidDataException($"{path}: '{entry.FullName}' is {entry.Length} bytes, more than the {limit} a state dict's pickle may be");
        CheckDeclaredSize(entry, path);
        using var source = entry.Open();
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk)) > 0)
        {
            if (buffer.Length + read > entry.Length) throw new InvalidDataException($"{path}: '{entry.FullName}' holds more bytes than its declared {entry.Length}");
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private static OrderedDictionary<string, Tensor> Collect(object? root, Dictionary<string, Tensor> storages, string path)
    {
        if (root is not PyDict dict) throw new InvalidDataException($"{path} holds a {RestrictedUnpickler.Describe(root)}, expected a dict of tensors (a state dict)");
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            Flatten(dict, "", result, storages, path, depth: 0);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    private static void Flatten(PyDict dict, string prefix, OrderedDictionary<string, Tensor> into, Dictionary<string, Tensor> storages, string path, int depth)
    {
        if (depth > 16) throw new InvalidDataException($"{path}: dicts nested more than 16 deep at '{prefix}'");
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) continue;
            var full = prefix + name;
            if (value is TorchTensorRef tensor) into[full] = Materialize(tensor, full, storages[tensor.Storage.Key], path);
            else if (value is PyDict inner) Flatten(inner, full + ".", into, storages, path, depth + 1);
        }
    }

    // The view the file describes, checked to lie inside its storage, as a tensor of its own.
    private static Tensor Materialize(TorchTensorRef t, string name, Tensor storage, string path)
    {
        var numel = t.Storage.Numel;
        if (t.Offset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
            throw new InvalidDataException($"{path}: tensor '{name}' has a negative offset, size or stride");
        BigInteger elements = 1, last = t.Offset;
        for (int i = 0; i < t.Size.Length; i++)
        {
            elements *= t.Size[i];
            if (t.Size[i] > 0) last += (BigInteger)(t.Size[i] - 1) * t.Stride[i];
        }
        if (elements > 0 && last >= numel)
            throw new InvalidDataException($"{path}: tensor '{name}' [{string.Join(", ", t.Size)}] reaches element {last} of a storage of {numel}");
        if (elements > numel && elements > 0)
            throw new InvalidDataException($"{path}: tensor '{name}' has {elements} elements, more than its storage's {numel} (expanded views are not read)");
        if (elements == 0) return empty(t.Size, t.Storage.DType);
        using var view = storage.as_strided(t.Size, t.Stride, t.Offset);
        return empty(t.Size, t.Storage.DType).copy_(view);
    }
}
