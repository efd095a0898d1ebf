using System.IO.Compression;
using System.Text;
using System.Text.Json;
using BigGan.Training.Import;
using BigGan.Training.Tests.IO;

namespace BigGan.Training.Tests.Import;

/// <summary>
/// <see cref="TorchCheckpoint"/> against files written by PyTorch itself (Fixtures/pytorch-reader, made once with
/// Debian's python3-torch 1.13: a state dict of float32/float64/float16/bfloat16/int64/int32/uint8/bool tensors, a
/// scalar, an empty tensor, and a transpose and a slice sharing the storage of another tensor, saved with
/// <c>torch.save(sd, "reader_zip.pt")</c> and <c>torch.save(sd, "reader_legacy.pt", _use_new_zipfile_serialization=False)</c>;
/// reader_expected.json holds each tensor's shape, dtype and values as doubles), and against hostile files crafted here.
/// </summary>
[TestClass]
public sealed class TorchCheckpointTests : TempDirTest
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch-reader");

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["torch.float32"] = ScalarType.Float32, ["torch.float64"] = ScalarType.Float64, ["torch.float16"] = ScalarType.Float16,
        ["torch.bfloat16"] = ScalarType.BFloat16, ["torch.int64"] = ScalarType.Int64, ["torch.int32"] = ScalarType.Int32,
        ["torch.uint8"] = ScalarType.Byte, ["torch.bool"] = ScalarType.Bool,
    };

    [TestMethod]
    [DataRow("reader_zip.pt")]
    [DataRow("reader_legacy.pt")]
    public void ReadsEveryTensorOfAPyTorchFile(string file)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "reader_expected.json")));
        var tensors = TorchCheckpoint.Load(Path.Combine(Fixtures, file));
        try
        {
            CollectionAssert.AreEqual(expected.RootElement.EnumerateObject().Select(p => p.Name).ToArray(), tensors.Keys.ToArray(), "names in file order");
            foreach (var p in expected.RootElement.EnumerateObject())
            {
                var t = tensors[p.Name];
                Assert.AreEqual(DTypes[p.Value.GetProperty("dtype").GetString()!], t.dtype, p.Name);
                CollectionAssert.AreEqual(p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), t.shape, p.Name);
                using var d = t.to(ScalarType.Float64).reshape(-1);
                var values = d.numel() == 0 ? [] : d.data<double>().ToArray();
                CollectionAssert.AreEqual(p.Value.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray(), values, p.Name);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [TestMethod]
    public void NestedDictsAreFlattenedWithDots()
    {
        // {"G": {"w": tensor([1., 2.])}, "itr": 7} written as protocol-2 pickle ops into a zip like torch's.
        var pickle = new PickleBuilder().Proto().EmptyDict().Mark()
            .Str("G").EmptyDict().Str("w").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem()
            .Str("itr").Int(7).SetItems().Stop();
        var path = WriteZip("nested.pt", pickle.Bytes, ("0", FloatBytes(1, 2)));
        var tensors = TorchCheckpoint.Load(path);
        CollectionAssert.AreEqual(new[] { "G.w" }, tensors.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { 1f, 2f }, tensors["G.w"].data<float>().ToArray());
        tensors["G.w"].Dispose();
    }

    [TestMethod]
    [DataRow("posix", "system")]
    [DataRow("os", "system")]
    [DataRow("builtins", "eval")]
    [DataRow("subprocess", "Popen")]
    public void AMaliciousZipPickleIsRefusedNamingTheGlobal(string module, string name)
    {
        var marker = Path.Combine(_dir, "pwned");
        var path = WriteZip("evil.pt", Malicious(module, name, marker));
        var e = Assert.ThrowsExactly<UnsafePickleException>(() => TorchCheckpoint.Load(path));
        StringAssert.Contains(e.Message, $"{module}.{name}");
        StringAssert.Contains(e.Message, path);
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    public void AMaliciousLegacyPickleIsRefusedWhereverItSits()
    {
        var marker = Path.Combine(_dir, "pwned");
        // In place of the magic number, and in place of the state dict after a valid header.
        var first = Path.Combine(_dir, "first.pt");
        File.WriteAllBytes(first, Malicious("posix", "system", marker));
        StringAssert.Contains(Assert.ThrowsExactly<UnsafePickleException>(() => TorchCheckpoint.Load(first)).Message, "posix.system");

        var later = Path.Combine(_dir, "later.pt");
        File.WriteAllBytes(later, [.. LegacyHeader(), .. Malicious("posix", "system", marker)]);
        StringAssert.Contains(Assert.ThrowsExactly<UnsafePickleException>(() => TorchCheckpoint.Load(later)).Message, "posix.system");
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    public void OpcodesThatBuildArbitraryObjectsAreRefused()
    {
        // INST ('i'): module and class inline, then instantiate; OBJ ('o'); EXT1 (0x82).
        var bodies = new[] { "(iposix\nsystem\n."u8.ToArray(), [(byte)'(', (byte)'o', (byte)'.'], [0x82, 1, (byte)'.'] };
        for (int i = 0; i < bodies.Length; i++)
        {
            var path = WriteZip($"op{i}.pt", [0x80, 2, .. bodies[i]]);
            var e = Assert.ThrowsExactly<UnsafePickleException>(() => TorchCheckpoint.Load(path));
            StringAssert.Contains(e.Message, "opcode");
        }
    }

    [TestMethod]
    public void AnAllowedGlobalCalledWithForeignArgumentsIsRefused()
    {
        // OrderedDict is allowed, but only to build a dict: calling a storage class is not.
        var pickle = new PickleBuilder().Proto().Global("torch", "FloatStorage").Int(1 << 30).Tuple1().Reduce().Stop();
        var e = Assert.ThrowsExactly<UnsafePickleException>(() => TorchCheckpoint.Load(WriteZip("call.pt", pickle.Bytes)));
        StringAssert.Contains(e.Message, "torch.FloatStorage");
    }

    [TestMethod]
    public void HugeClaimsAreRefusedBeforeAllocating()
    {
        // A storage of 2^50 floats: the zip entry is 8 bytes, so the claim is refused, not allocated.
        var storage = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1L << 50, 0, [1L << 50], [1]).SetItem().Stop();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(WriteZip("huge.pt", storage.Bytes, ("0", FloatBytes(1, 2)))));
        StringAssert.Contains(e.Message, "'archive/data/0' holds 8 bytes");

        // A string of 2^31 bytes in a 40-byte pickle.
        var text = WriteZip("text.pt", [0x80, 2, (byte)'X', 0, 0, 0, 0x80, (byte)'.']);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(text)).Message, "bytes but only");

        // An expanded view: 10^12 elements out of a storage of 2.
        var expanded = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 2, 0, [1_000_000, 1_000_000], [0, 0]).SetItem().Stop();
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(WriteZip("expanded.pt", expanded.Bytes, ("0", FloatBytes(1, 2))))).Message, "more than its storage");

        // A view that reaches past the end of its storage.
        var past = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 2, 1, [2], [1]).SetItem().Stop();
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(WriteZip("past.pt", past.Bytes, ("0", FloatBytes(1, 2))))).Message, "reaches element 2");
    }

    [TestMethod]
    public void AZipEntryClaimingMoreThanDeflateCanHoldIsRefused()
    {
        // A 1 GiB storage whose entry holds 8 bytes, deflated, with the central directory's size patched to 1 GiB.
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1L << 28, 0, [1L << 28], [1]).SetItem().Stop();
        var path = WriteZip("bomb.pt", CompressionLevel.Optimal, pickle.Bytes, ("0", FloatBytes(1, 2)));
        var bytes = File.ReadAllBytes(path);
        var name = Encoding.ASCII.GetBytes("archive/data/0");
        var patched = false;
        for (int i = 0; i + 46 + name.Length <= bytes.Length; i++)
        {
            if (bytes[i] != 'P' || bytes[i + 1] != 'K' || bytes[i + 2] != 1 || bytes[i + 3] != 2) continue;
            int nameLength = BitConverter.ToUInt16(bytes, i + 28);
            if (!bytes.AsSpan(i + 46, nameLength).SequenceEqual(name)) continue;
            BitConverter.GetBytes((uint)(1 << 30)).CopyTo(bytes, i + 24);   // uncompressed size
            patched = true;
        }
        Assert.IsTrue(patched, "found the central directory entry to patch");
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "more than deflate can expand to");
    }

    [TestMethod]
    public void TruncatedAndForeignFilesAreRefusedNamingTheFile()
    {
        var legacy = File.ReadAllBytes(Path.Combine(Fixtures, "reader_legacy.pt"));
        var cut = Path.Combine(_dir, "cut.pt");
        File.WriteAllBytes(cut, legacy[..^40]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(cut)).Message, cut);

        var text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "hello");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchCheckpoint.Load(text)).Message, "is not a PyTorch checkpoint");

        Assert.ThrowsExactly<FileNotFoundException>(() => TorchCheckpoint.Load(Path.Combine(_dir, "missing.pt")));
    }

    // PROTO 2, GLOBAL module name, the command as a 1-tuple, REDUCE, STOP: what pickle.dumps of an os.system call holds.
    private static byte[] Malicious(string module, string name, string marker) =>
        new PickleBuilder().Proto().Global(module, name).Str("touch " + marker).Tuple1().Reduce().Stop().Bytes;

    // The three pickles before the object in a legacy torch.save file.
    private static byte[] LegacyHeader() =>
    [
        .. new PickleBuilder().Proto().Long1(Convert.FromHexString("6c fc 9c 46 f9 20 6a a8 50 19".Replace(" ", ""))).Stop().Bytes,
        .. new PickleBuilder().Proto().Int(1001).Stop().Bytes,
        .. new PickleBuilder().Proto().EmptyDict().Str("little_endian").True().SetItem().Stop().Bytes,
    ];

    private static byte[] FloatBytes(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private string WriteZip(string name, byte[] pickle, params (string key, byte[] data)[] storages) => WriteZip(name, CompressionLevel.NoCompression, pickle, storages);

    private string WriteZip(string name, CompressionLevel compression, byte[] pickle, params (string key, byte[] data)[] storages)
    {
        var path = Path.Combine(_dir, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string entry, byte[] bytes)
        {
            using var s = zip.CreateEntry(entry, compression).Open();
            s.Write(bytes);
        }
        Add("archive/data.pkl", pickle);
        foreach (var (key, data) in storages) Add("archive/data/" + key, data);
        Add("archive/version", Encoding.ASCII.GetBytes("3\n"));
        return path;
    }
}
