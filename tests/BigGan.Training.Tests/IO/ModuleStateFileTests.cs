using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using BigGan.Training.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>
/// A module's weights file is checked against the module from its header: a file claiming a gigabyte tensor is refused
/// before any data is read; flipped data bytes are found by the checksum; NaN weights are refused when asked.
/// </summary>
[TestClass]
public sealed class ModuleStateFileTests : TempDirTest
{
    private static nn.Module<Tensor, Tensor> Tiny() => nn.Linear(3, 2);

    private string Saved(string name, nn.Module module)
    {
        var path = Path.Combine(_dir, name);
        using var scope = NewDisposeScope();
        Safetensors.Save(module.state_dict(), path, new Dictionary<string, string> { ["k"] = "v" });
        return path;
    }

    /// <summary>Rewrites a safetensors file with one more tensor of <paramref name="bytes"/> U8 values at the end; the
    /// data is sparse (no disk is used), and the rest of the file is unchanged.</summary>
    private static void AppendClaimedTensor(string path, string name, long bytes, string? replace = null)
    {
        var all = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(all);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(all, 8, n))!.AsObject();
        var data = all.AsSpan(8 + n).ToArray();
        header["__metadata__"]!.AsObject().Remove(Safetensors.ChecksumKey); // as another tool would write it
        if (replace is not null)
        {
            // the replaced tensor's bytes stay as an unused prefix would break tiling: move it into the claim instead
            var e = header[replace]!.AsObject();
            var offs = e["data_offsets"]!.AsArray();
            long begin = (long)offs[0]!, end = (long)offs[1]!;
            if (end != data.Length) throw new InvalidOperationException("the replaced tensor must be the last");
            header.Remove(replace);
            data = data[..(int)begin];
            name = replace;
        }
        header[name] = new JsonObject
        {
            ["dtype"] = "U8", ["shape"] = new JsonArray(bytes), ["data_offsets"] = new JsonArray(data.Length, data.Length + bytes),
        };
        var h = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var fs = new FileStream(path, FileMode.Create);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)h.Length);
        fs.Write(len);
        fs.Write(h);
        fs.Write(data);
        fs.SetLength(fs.Position + bytes);
    }

    [TestMethod]
    public void AClaimedGigabyteTensorIsRefusedBeforeAnyDataIsRead()
    {
        using var module = Tiny();
        foreach (var (file, extra, replace, expected) in new[]
                 {
                     ("extra-2.2gib.safetensors", "junk", (string?)null, "not in the model: junk"),
                     ("bias-1.5gib.safetensors", "", "bias", "different shapes: bias (checkpoint [1610612736], model [2])"),
                 })
        {
            var path = Saved(file, module);
            AppendClaimedTensor(path, extra, replace is null ? (long)(2.2 * (1L << 30)) : 3L << 29, replace);
            Safetensors.DataBytesRead = 0;
            var e = Assert.ThrowsExactly<ArgumentException>(() => ModuleStateFile.Read(path, "tiny", module));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, expected);
            Assert.AreEqual(0L, Safetensors.DataBytesRead, $"{file}: no tensor data was read");
        }
    }

    [TestMethod]
    public void ElementTypesAreCheckedAgainstTheModule()
    {
        using var module = Tiny();
        var path = Path.Combine(_dir, "int.safetensors");
        using (var scope = NewDisposeScope())
            Safetensors.Save(new Dictionary<string, Tensor> { ["weight"] = zeros([2, 3], ScalarType.Int32), ["bias"] = zeros([2], ScalarType.Float64) }, path);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ModuleStateFile.Read(path, "tiny", module));
        StringAssert.Contains(e.Message, "different element types: weight (checkpoint Int32, model Float32)");
        Assert.IsFalse(e.Message.Contains("bias"), "a float64 bias loads into a float32 one (converted)");
    }

    [TestMethod]
    public void FlippedDataBytesAreFoundByTheChecksum()
    {
        using var module = Tiny();
        var path = Saved("flip.safetensors", module);
        Assert.IsTrue(Safetensors.ReadHeader(path).Metadata.ContainsKey(Safetensors.ChecksumKey), "our files carry a checksum");
        Assert.IsFalse(Safetensors.ReadMetadata(path).ContainsKey(Safetensors.ChecksumKey), "which is not user metadata");
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10; // one bit of the last tensor's data
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModuleStateFile.LoadInto(path, "tiny", module));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "is corrupt");
        StringAssert.Contains(e.Message, "does not match the SHA-256");

        // a file without the checksum (another tool, an older version) still loads
        AppendClaimedTensor(path, "ignored", 0); // rewrites the header without the checksum, adding an empty tensor
        var loaded = Safetensors.Load(path).tensors;
        Assert.AreEqual(3, loaded.Count);
        foreach (var t in loaded.Values) t.Dispose();
    }

    [TestMethod]
    public void NonFiniteWeightsAreRefusedWhenAsked()
    {
        using var module = Tiny();
        using (no_grad()) module.named_parameters().First(p => p.name == "weight").parameter[1, 2] = float.NaN;
        var path = Saved("nan.safetensors", module);
        using var target = Tiny();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ModuleStateFile.LoadInto(path, "tiny", target, requireFinite: true));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "tensor 'weight' holds 1 NaN or infinite value of 6");
        ModuleStateFile.LoadInto(path, "tiny", target); // resuming may still read them; only sampling refuses
    }
}
