using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>safetensors: round trips of every dtype, the byte layout, corrupt and truncated files, atomic writes.</summary>
[TestClass]
public sealed class SafetensorsTests
{
    private string _dir = null!;

    [TestInitialize]
    public void MakeDir() => _dir = TempDir();

    [TestCleanup]
    public void RemoveDir() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

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
            ["a.f64"] = D([Math.PI]),
            ["f16"] = F([0.5f, -1]).to(ScalarType.Float16),
            ["bf16"] = F([0.5f, -1]).to(ScalarType.BFloat16),
            ["i64"] = L([long.MinValue, long.MaxValue]),
            ["i32"] = tensor(new[] { int.MinValue, 7 }),
            ["i16"] = F([-300, 300]).to(ScalarType.Int16),
            ["i8"] = F([-100, 100]).to(ScalarType.Int8),
            ["u8"] = tensor(new byte[] { 0, 255, 9 }, [3, 1]),
            ["bool"] = tensor(new[] { true, false }),
            ["scalar"] = tensor(2.5),
            ["empty"] = zeros([0, 3]),
        };
        var meta = new Dictionary<string, string> { ["step"] = "1200", ["config"] = "{\"ch\": 32}" };
        var path = P("all.safetensors");
        safetensors.save_file(tensors, path, meta);
        var (loaded, m) = safetensors.load_file(path);
        CollectionAssert.AreEqual(tensors.Keys.ToArray(), loaded.Keys.ToArray(), "file order is insertion order");
        foreach (var (k, t) in tensors)
        {
            Assert.AreEqual(t.dtype, loaded[k].dtype, k);
            CollectionAssert.AreEqual(t.shape, loaded[k].shape, k);
            CollectionAssert.AreEqual(t.bytes(), loaded[k].bytes(), k);
        }
        CollectionAssert.AreEquivalent(meta.ToArray(), m.ToArray());
        CollectionAssert.AreEquivalent(meta.ToArray(), safetensors.read_metadata(path).ToArray());
        Assert.AreEqual(0, Directory.GetFiles(_dir).Count(f => f.EndsWith(".tmp")), "no temp file left");
    }

    [TestMethod]
    public void LayoutFollowsTheFormat()
    {
        using var scope = NewDisposeScope();
        var path = P("layout.safetensors");
        safetensors.save_file(new Dictionary<string, Tensor> { ["w"] = F([1, 2, 3, 4], 2, 2), ["b"] = D([-1]) }, path, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0, n % 8, "the data section is 8-byte aligned");
        Assert.AreEqual(8 + n + 16 + 8, bytes.Length);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var w = doc.RootElement.GetProperty("w");
        Assert.AreEqual("F32", w.GetProperty("dtype").GetString());
        CollectionAssert.AreEqual(new long[] { 2, 2 }, w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 16 }, w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new long[] { 16, 24 }, doc.RootElement.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        Assert.AreEqual("F64", doc.RootElement.GetProperty("b").GetProperty("dtype").GetString());
        Assert.AreEqual("v", doc.RootElement.GetProperty("__metadata__").GetProperty("k").GetString());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(bytes, (int)(8 + n + 4 * i))).ToArray());
        Assert.AreEqual(-1.0, BitConverter.ToDouble(bytes, (int)(8 + n + 16)));
    }

    [TestMethod]
    public void ReadsAHandWrittenFileWithUnorderedOffsets()
    {
        using var scope = NewDisposeScope();
        var data = BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(1.5f)).Concat(BitConverter.GetBytes(-2.5f)).ToArray();
        var path = Raw("hand.safetensors",
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", data);
        var (t, meta) = safetensors.load_file(path);
        CollectionAssert.AreEqual(new[] { "b", "a" }, t.Keys.ToArray());
        Equal(new float[] { 1.5f, -2.5f }, t["b"]);
        Assert.AreEqual(7L, t["a"].item<long>());
        Shape([], t["a"]);
        Assert.IsEmpty(meta);
    }

    private void Corrupt(string name, string header, byte[] data, string expected, ulong? headerLength = null)
    {
        var path = Raw(name, header, data, headerLength);
        var before = Tensor.LiveCount;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => safetensors.load_file(path), name);
        StringAssert.Contains(e.Message, path, "the message names the file");
        StringAssert.Contains(e.Message, expected, name);
        Assert.AreEqual(before, Tensor.LiveCount, $"{name}: nothing leaked");
    }

    private const string Good = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [TestMethod]
    public void CorruptFilesFailNamingTheFileAndTheProblem()
    {
        var eight = new byte[8];
        Corrupt("huge-header.safetensors", Good, eight, "exceeds the file size", headerLength: ulong.MaxValue);
        Corrupt("long-header.safetensors", Good, eight, "exceeds the file size", headerLength: 1000);
        Corrupt("bad-json.safetensors", "{\"x\": [1, 2", eight, "not valid JSON");
        Corrupt("not-object.safetensors", "[1, 2, 3]", eight, "not valid JSON");
        Corrupt("past-end.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", eight, "truncated");
        Corrupt("mismatch.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight, "shape [3] (12 bytes) but 8 bytes");
        Corrupt("dtype.safetensors", "{\"x\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", eight, "unknown dtype 'C64'");
        Corrupt("negative.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight, "negative dimension");
        Corrupt("offsets.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight, "invalid data_offsets");
        Corrupt("no-dtype.safetensors", "{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("string-shape.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("overflow.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", eight, "malformed entry");
        Corrupt("meta.safetensors", "{\"__metadata__\":{\"step\":5}}", [], "metadata 'step' is not a string");
        Corrupt("duplicate.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "names a tensor twice");
        Corrupt("entry-not-object.safetensors", "{\"x\":\"F32\"}", eight, "malformed entry");
        Corrupt("meta-array.safetensors", "{\"__metadata__\":[1]}", [], "__metadata__ is not an object");

        File.WriteAllBytes(P("tiny.safetensors"), [1, 2, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => safetensors.load_file(P("tiny.safetensors")));
        StringAssert.Contains(e.Message, "tiny.safetensors");
        StringAssert.Contains(e.Message, "fewer than the 8-byte header length");
        Assert.ThrowsExactly<FileNotFoundException>(() => safetensors.load_file(P("missing.safetensors")));
        Assert.ThrowsExactly<InvalidDataException>(() => safetensors.read_metadata(P("bad-json.safetensors")));
    }

    [TestMethod]
    public void TruncatingAValidFileIsDetected()
    {
        using var scope = NewDisposeScope();
        var path = P("full.safetensors");
        safetensors.save_file(new Dictionary<string, Tensor> { ["a"] = zeros([10]), ["b"] = ones([10]) }, path);
        var bytes = File.ReadAllBytes(path);
        foreach (var cut in new[] { bytes.Length - 1, bytes.Length - 41, 20, 7 })
        {
            var t = P($"cut{cut}.safetensors");
            File.WriteAllBytes(t, bytes[..cut]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => safetensors.load_file(t), $"cut at {cut}");
            StringAssert.Contains(e.Message, t);
        }
    }

    [TestMethod]
    public void FailedSavesLeaveNothingBehind()
    {
        using var scope = NewDisposeScope();
        var good = new Dictionary<string, Tensor> { ["x"] = ones([3]) };
        var missingFolder = Path.Combine(_dir, "no-such-folder", "model.safetensors");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => safetensors.save_file(good, missingFolder));
        Assert.IsFalse(Directory.Exists(Path.Combine(_dir, "no-such-folder")));

        var target = P("model.safetensors");
        safetensors.save_file(good, target);
        var original = File.ReadAllBytes(target);

        var reserved = new Dictionary<string, Tensor> { ["y"] = zeros([2]), ["__metadata__"] = zeros([1]) };
        Assert.ThrowsExactly<ArgumentException>(() => safetensors.save_file(reserved, target));
        var disposed = zeros([2]);
        disposed.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => safetensors.save_file(new Dictionary<string, Tensor> { ["y"] = ones([2]), ["z"] = disposed }, target));
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
        Assert.HasCount(1, Directory.GetFiles(_dir));
    }
}
