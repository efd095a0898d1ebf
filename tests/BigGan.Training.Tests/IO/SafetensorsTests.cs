using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BigGan.Training.IO;
using TorchSharp;
using static BigGan.Training.Tests.IO.IOTestUtil;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>safetensors: round trips of every dtype, the byte layout, compatibility, hostile and truncated files, atomic writes.</summary>
[TestClass]
public sealed class SafetensorsTests : TempDirTest
{
    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A file with the given header text (length prefix computed unless overridden) and data bytes.</summary>
    private string Raw(string name, string header, byte[] data, ulong? headerLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        File.WriteAllBytes(P(name), bytes);
        return P(name);
    }

    [TestMethod]
    public void EveryDtypeRoundTripsWithMetadataAndOrder()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["z.f32"] = F([1.5f, -2, 3, 4, 5, 6], 2, 3),
            ["a.f64"] = tensor(new[] { Math.PI }),
            ["f16"] = F([0.5f, -1]).to(ScalarType.Float16),
            ["bf16"] = F([0.5f, -1]).to(ScalarType.BFloat16),
            ["i64"] = tensor(new[] { long.MinValue, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7 }),
            ["i16"] = F([-300, 300]).to(ScalarType.Int16),
            ["i8"] = F([-100, 100]).to(ScalarType.Int8),
            ["u8"] = tensor(new byte[] { 0, 255, 9 }, [3, 1]),
            ["bool"] = tensor(new[] { true, false }),
            ["scalar"] = tensor(2.5),
            ["empty"] = zeros([0, 3]),
        };
        var meta = new Dictionary<string, string> { ["step"] = "1200", ["config"] = "{\"ch\": 32}", ["ünïcode <&>"] = "ok ✓" };
        var path = P("all.safetensors");
        Safetensors.Save(tensors, path, meta);
        var (loaded, m) = Safetensors.Load(path);
        CollectionAssert.AreEqual(tensors.Keys.ToArray(), loaded.Keys.ToArray(), "file order is insertion order");
        foreach (var (k, t) in tensors)
        {
            Assert.AreEqual(t.dtype, loaded[k].dtype, k);
            CollectionAssert.AreEqual(t.shape, loaded[k].shape, k);
            CollectionAssert.AreEqual(Bytes(t), Bytes(loaded[k]), k);
        }
        CollectionAssert.AreEquivalent(meta.ToArray(), m.ToArray());
        CollectionAssert.AreEquivalent(meta.ToArray(), Safetensors.ReadMetadata(path).ToArray());
        Assert.AreEqual(0, Directory.GetFiles(_dir).Count(f => f.EndsWith(".tmp")), "no temp file left");
    }

    [TestMethod]
    public void NonContiguousAndGradientTensorsAreStoredAsTheirValues()
    {
        using var scope = NewDisposeScope();
        var w = Seq(ScalarType.Float32, 3, 4).requires_grad_(true);
        var transposed = Seq(ScalarType.Float32, 3, 4).t();
        Assert.IsFalse(transposed.is_contiguous());
        var path = P("views.safetensors");
        Safetensors.Save(new Dictionary<string, Tensor> { ["w"] = w, ["t"] = transposed, ["slice"] = transposed[1] }, path);
        var (loaded, _) = Safetensors.Load(path);
        Assert.IsFalse(loaded["w"].requires_grad);
        Equal(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), loaded["w"]);
        Shape([4, 3], loaded["t"]);
        Equal(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, loaded["t"]);
        Equal(new float[] { 1, 5, 9 }, loaded["slice"]);
    }

    [TestMethod]
    public void LayoutFollowsTheFormat()
    {
        using var scope = NewDisposeScope();
        var path = P("layout.safetensors");
        Safetensors.Save(new Dictionary<string, Tensor> { ["w"] = F([1, 2, 3, 4], 2, 2), ["b"] = tensor(new[] { -1.0 }) }, path, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0, n % 8, "the data section is 8-byte aligned");
        Assert.AreEqual(8 + n + 16 + 8, bytes.Length);
        // the metadata ends with the SHA-256 of the data section (24 bytes after the header)
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan((int)(8 + n), 24)));
        var expected = "{\"__metadata__\":{\"k\":\"v\",\"" + Safetensors.ChecksumKey + "\":\"" + sha + "\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]}}";
        Assert.AreEqual(expected.PadRight((int)n), Encoding.UTF8.GetString(bytes, 8, (int)n), "the header, padded with spaces");
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        Assert.AreEqual("v", doc.RootElement.GetProperty("__metadata__").GetProperty("k").GetString());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(bytes, (int)(8 + n + 4 * i))).ToArray());
        Assert.AreEqual(-1.0, BitConverter.ToDouble(bytes, (int)(8 + n + 16)));
    }

    /// <summary>The writer of the libtorch binding, step by step (JsonObject header, space padding): files it wrote must load unchanged.</summary>
    private static byte[] OldWriter(IReadOnlyDictionary<string, (string dtype, long[] shape, byte[] data)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, (dtype, shape, data)) in tensors)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + data.Length),
            };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        using var file = new MemoryStream();
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        file.Write(len);
        file.Write(json);
        for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var (_, (_, _, data)) in tensors) file.Write(data);
        return file.ToArray();
    }

    [TestMethod]
    public void FilesOfThePreviousWriterLoadBitExactlyAndAreWrittenIdentically()
    {
        using var scope = NewDisposeScope();
        var w = F([0.1f, float.NaN, float.NegativeInfinity, -0f, 1e-40f, 3], 2, 3);
        var b = tensor(new[] { double.Epsilon, -2.5 });
        var h = F([0.5f, 65504, -1e-7f]).to(ScalarType.Float16);
        var flags = tensor(new[] { true, false, true });
        var old = new Dictionary<string, (string, long[], byte[])>
        {
            ["g.w"] = ("F32", [2, 3], Bytes(w)),
            ["g.b"] = ("F64", [2], Bytes(b)),
            ["half"] = ("F16", [3], Bytes(h)),
            ["flags"] = ("BOOL", [3], Bytes(flags)),
            ["step"] = ("I64", [], BitConverter.GetBytes(1200L)),
        };
        var meta = new Dictionary<string, string> { ["config"] = "{\"ch\": 32, \"name\": \"<biggan>\"}", ["format"] = "pt" };
        var oldBytes = OldWriter(old, meta);
        var path = P("old.safetensors");
        File.WriteAllBytes(path, oldBytes);

        var (loaded, m) = Safetensors.Load(path);
        CollectionAssert.AreEqual(old.Keys.ToArray(), loaded.Keys.ToArray());
        foreach (var (name, (_, shape, data)) in old)
        {
            CollectionAssert.AreEqual(shape, loaded[name].shape, name);
            CollectionAssert.AreEqual(data, Bytes(loaded[name]), name + ": bit for bit (NaN, -0, subnormals included)");
        }
        CollectionAssert.AreEquivalent(meta.ToArray(), m.ToArray());

        var again = P("again.safetensors");
        Safetensors.Save(loaded, again, meta);
        // the same bytes as the old writer, whose metadata lacked only the checksum of the data
        var allData = old.Values.SelectMany(v => v.Item3).ToArray();
        var withChecksum = new Dictionary<string, string>(meta) { [Safetensors.ChecksumKey] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(allData)) };
        CollectionAssert.AreEqual(OldWriter(old, withChecksum), File.ReadAllBytes(again), "the new writer produces the same layout as the old one");
    }

    [TestMethod]
    public void ReadsAHandWrittenFileWithUnorderedOffsets()
    {
        using var scope = NewDisposeScope();
        var data = BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(1.5f)).Concat(BitConverter.GetBytes(-2.5f)).ToArray();
        var path = Raw("hand.safetensors",
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", data);
        var (t, meta) = Safetensors.Load(path);
        CollectionAssert.AreEqual(new[] { "b", "a" }, t.Keys.ToArray());
        Equal(new float[] { 1.5f, -2.5f }, t["b"]);
        Assert.AreEqual(7L, t["a"].item<long>());
        Shape([], t["a"]);
        Assert.IsEmpty(meta);
    }

    [TestMethod]
    public void TheHeaderCanBeCheckedBeforeAnyDataIsRead()
    {
        using var scope = NewDisposeScope();
        var path = P("model.safetensors");
        Safetensors.Save(new Dictionary<string, Tensor> { ["w"] = zeros([4, 5]), ["b"] = ones([5], ScalarType.Float64), ["n"] = zeros([0]) }, path,
            new Dictionary<string, string> { ["step"] = "3" });

        var header = Safetensors.ReadHeader(path);
        CollectionAssert.AreEqual(new[] { "w", "b", "n" }, header.Entries.Select(e => e.Name).ToArray());
        var w = header.Entries[0];
        Assert.AreEqual(ScalarType.Float32, w.DType);
        CollectionAssert.AreEqual(new long[] { 4, 5 }, w.Shape);
        Assert.AreEqual((0L, 80L, 80L, 20L), (w.Begin, w.End, w.ByteCount, w.ElementCount));
        Assert.AreEqual("F32 [4, 5]", w.Describe());
        Assert.AreEqual((80L, 120L), (header.Entries[1].Begin, header.Entries[1].End));
        Assert.AreEqual("3", header.Metadata["step"]);
        Assert.AreEqual(0, header.DataStart % 8);

        // skip: only what the caller asks for is allocated and read
        var seen = new List<string>();
        var (some, meta) = Safetensors.Load(path, e => { seen.Add(e.Name); return e.DType == ScalarType.Float64; });
        CollectionAssert.AreEqual(new[] { "w", "b", "n" }, seen.ToArray(), "every entry is offered, in header order");
        CollectionAssert.AreEqual(new[] { "b" }, some.Keys.ToArray());
        Equal(new double[] { 1, 1, 1, 1, 1 }, some["b"]);
        Assert.AreEqual("3", meta["step"]);

        // refuse: an exception from the callback reaches the caller, and nothing has been allocated
        var before = LiveTensors();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path, e =>
            e.Name == "w" && e.Shape[0] != 3 ? throw new InvalidDataException($"{path}: 'w' is {e.Describe()}, expected F32 [3, 5]") : true));
        StringAssert.Contains(e.Message, "expected F32 [3, 5]");
        Assert.AreEqual(before, LiveTensors(), "no tensor was created");
    }

    private void Corrupt(string name, string header, byte[] data, string expected, ulong? headerLength = null)
    {
        var path = Raw(name, header, data, headerLength);
        var before = LiveTensors();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path), name);
        StringAssert.Contains(e.Message, path, "the message names the file");
        StringAssert.Contains(e.Message, expected, name);
        Assert.AreEqual(before, LiveTensors(), $"{name}: nothing leaked");
        var h = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.ReadHeader(path), name);
        Assert.AreEqual(e.Message, h.Message, "the header alone is refused the same way");
    }

    private const string Good = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [TestMethod]
    public void CorruptFilesFailNamingTheFileAndTheProblem()
    {
        var eight = new byte[8];
        Corrupt("huge-header.safetensors", Good, eight, "exceeds the file size", headerLength: ulong.MaxValue);
        Corrupt("long-header.safetensors", Good, eight, "exceeds the file size", headerLength: 1000);
        Corrupt("bad-json.safetensors", "{\"x\": [1, 2", eight, "not valid JSON");
        Corrupt("not-object.safetensors", "[1, 2, 3]", eight, "not a JSON object");
        Corrupt("deep.safetensors", new string('[', 5000) + new string(']', 5000), eight, "not valid JSON");
        Corrupt("past-end.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", eight, "truncated");
        Corrupt("mismatch.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight, "shape [3] (12 bytes) but 8 bytes");
        Corrupt("dtype.safetensors", "{\"x\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", eight, "unknown dtype 'C64'");
        Corrupt("negative.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight, "negative dimension");
        Corrupt("offsets.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight, "invalid data_offsets");
        Corrupt("three-offsets.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", eight, "invalid data_offsets");
        Corrupt("no-dtype.safetensors", "{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("string-shape.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("float-shape.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("overflow.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", eight, "overflows 64 bits");
        Corrupt("meta.safetensors", "{\"__metadata__\":{\"step\":5}}", [], "metadata 'step' is not a string");
        Corrupt("duplicate.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "names a tensor twice");
        Corrupt("entry-not-object.safetensors", "{\"x\":\"F32\"}", eight, "malformed entry");
        Corrupt("meta-array.safetensors", "{\"__metadata__\":[1]}", [], "__metadata__ is not an object");
        // the data ranges must tile the data section: no overlap, no gap, nothing after the last tensor
        Corrupt("overlap.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "overlaps tensor 'x'");
        Corrupt("alias.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "overlaps");
        Corrupt("gap.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "leaving bytes 0..4");
        Corrupt("trailing.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight, "trailing data");
        Corrupt("no-tensors.safetensors", "{}", eight, "trailing data");

        File.WriteAllBytes(P("tiny.safetensors"), [1, 2, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(P("tiny.safetensors")));
        StringAssert.Contains(e.Message, "tiny.safetensors");
        StringAssert.Contains(e.Message, "fewer than the 8-byte header length");
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => Safetensors.Load(P("missing.safetensors")));
        StringAssert.Contains(missing.Message, "missing.safetensors");
        Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.ReadMetadata(P("bad-json.safetensors")));
    }

    [TestMethod]
    public void HostileHeadersAreRefusedFastWithoutLargeAllocations()
    {
        // Each claims far more than the file holds; refusal must come from the header, before any allocation of that size.
        var cases = new (string name, string header, byte[] data, ulong? length, string expected)[]
        {
            ("claims-8eb.safetensors", "{\"x\":{\"dtype\":\"F64\",\"shape\":[1000000000,1000000000],\"data_offsets\":[0,8000000000000000000]}}", new byte[8], null, "truncated"),
            ("claims-1.5gib.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[402653184],\"data_offsets\":[0,1610612736]}}", new byte[64], null, "truncated"),
            ("max-offsets.safetensors", "{\"x\":{\"dtype\":\"U8\",\"shape\":[9223372036854775807],\"data_offsets\":[0,9223372036854775807]}}", new byte[8], null, "truncated"),
            ("absurd-length.safetensors", Good, new byte[8], 1UL << 62, "exceeds the file size"),
            ("long-shape.safetensors", "{\"x\":{\"dtype\":\"U8\",\"shape\":[" + string.Join(",", Enumerable.Repeat("2", 70)) + "],\"data_offsets\":[0,8]}}", new byte[8], null, "overflows 64 bits"),
        };
        foreach (var (name, header, data, length, expected) in cases)
        {
            var path = Raw(name, header, data, length);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(path), name);
            clock.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, expected, name);
            Assert.IsLessThan(1L << 20, allocated, $"{name}: {allocated} managed bytes allocated");
            Assert.IsLessThan(2000L, clock.ElapsedMilliseconds, $"{name}: refused in {clock.ElapsedMilliseconds} ms");
        }

        // A header length over the limit, in a file big enough to hold it (sparse: no disk is used), is refused unread.
        var big = P("big-header.safetensors");
        using (var fs = new FileStream(big, FileMode.CreateNew))
        {
            var len = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, SafetensorsHeader.MaxHeaderBytes + 1);
            fs.Write(len);
            fs.SetLength(SafetensorsHeader.MaxHeaderBytes + 100);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var be = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.ReadHeader(big));
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
        StringAssert.Contains(be.Message, big);
        StringAssert.Contains(be.Message, $"exceeds the limit of {SafetensorsHeader.MaxHeaderBytes} bytes");
    }

    [TestMethod]
    public void TruncatingAValidFileIsDetected()
    {
        using var scope = NewDisposeScope();
        var path = P("full.safetensors");
        Safetensors.Save(new Dictionary<string, Tensor> { ["a"] = zeros([10]), ["b"] = ones([10]) }, path);
        var bytes = File.ReadAllBytes(path);
        foreach (var cut in new[] { bytes.Length - 1, bytes.Length - 41, 20, 7 })
        {
            var t = P($"cut{cut}.safetensors");
            File.WriteAllBytes(t, bytes[..cut]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(t), $"cut at {cut}");
            StringAssert.Contains(e.Message, t);
        }
        var longer = P("longer.safetensors");
        File.WriteAllBytes(longer, [.. bytes, 0]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Safetensors.Load(longer)).Message, "trailing data");
    }

    [TestMethod]
    public void TensorsLargerThanOneSliceAreCopiedInSlices()
    {
        using var scope = NewDisposeScope();
        var saved = TensorBytes.SliceBytes;
        try
        {
            TensorBytes.SliceBytes = 12; // 3 floats, 1.5 doubles (rounded down to 1): several slices, a partial last one
            var tensors = new Dictionary<string, Tensor> { ["f"] = Seq(ScalarType.Float32, 2, 5), ["d"] = Seq(ScalarType.Float64, 7), ["s"] = tensor(3.0f) };
            var path = P("sliced.safetensors");
            Safetensors.Save(tensors, path);
            TensorBytes.SliceBytes = 1L << 30;
            var (plain, _) = Safetensors.Load(path);
            TensorBytes.SliceBytes = 8;
            var (sliced, _) = Safetensors.Load(path);
            foreach (var (k, t) in tensors)
            {
                CollectionAssert.AreEqual(Bytes(t), Bytes(plain[k]), k);
                CollectionAssert.AreEqual(Bytes(t), Bytes(sliced[k]), k);
            }
        }
        finally { TensorBytes.SliceBytes = saved; }
    }

    [TestMethod]
    public void FailedSavesLeaveNothingBehind()
    {
        using var scope = NewDisposeScope();
        var good = new Dictionary<string, Tensor> { ["x"] = ones([3]) };
        var missingFolder = Path.Combine(_dir, "no-such-folder", "model.safetensors");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => Safetensors.Save(good, missingFolder));
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "no-such-folder")));

        var target = P("model.safetensors");
        Safetensors.Save(good, target);
        var original = File.ReadAllBytes(target);

        var reserved = new Dictionary<string, Tensor> { ["y"] = zeros([2]), ["__metadata__"] = zeros([1]) };
        Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(reserved, target));
        Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(new Dictionary<string, Tensor> { ["c"] = zeros([2], ScalarType.ComplexFloat32) }, target));
        var disposed = zeros([2]);
        disposed.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => Safetensors.Save(new Dictionary<string, Tensor> { ["y"] = ones([2]), ["z"] = disposed }, target));
        // A failure while the bytes are being written: the temp file goes, the old file stays whole.
        Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(target, s => { s.Write(new byte[100]); throw new IOException("disk full"); }));

        CollectionAssert.AreEqual(original, File.ReadAllBytes(target), "the previous file is intact");
        CollectionAssert.AreEqual(new[] { "model.safetensors" }, Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray(), "no stray temp files");
    }

    [TestMethod]
    public void AtomicFileReplacesExistingContent()
    {
        var path = P("note.txt");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "second, longer");
        Assert.AreEqual("second, longer", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, [1, 2]);
        CollectionAssert.AreEqual(new byte[] { 1, 2 }, File.ReadAllBytes(path));
        AtomicFile.WriteAllBytes(path, new byte[] { 3 });
        CollectionAssert.AreEqual(new byte[] { 3 }, File.ReadAllBytes(path));
        Assert.HasCount(1, Directory.GetFiles(_dir));
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(Path.Combine(_dir, "nope", "x.txt"), "x"));
    }
}
