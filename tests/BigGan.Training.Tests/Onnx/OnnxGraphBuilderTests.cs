using System.Text.Json.Nodes;
using BigGan.Training.Onnx;

namespace BigGan.Training.Tests.Onnx;

/// <summary>The hand-written protobuf encoding (decoded by the reference onnx package) and the builder's checks.</summary>
[TestClass]
public sealed class OnnxGraphBuilderTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("biggan-onnx-builder-").FullName;

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A graph touching every message and attribute kind the writer emits.</summary>
    private static OnnxGraphBuilder EveryKind(int opset)
    {
        var b = new OnnxGraphBuilder(opset, "every_kind") { DocString = "test model", ModelVersion = 3 };
        var x = b.AddInput("x", OnnxDataType.Float, "batch", 3);
        using var w = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var y = b.Gemm(x, b.AddInitializer("w", w), b.Floats(0.5f, -0.5f), transB: true, alpha: 2, beta: 0.25f); // float + int attributes
        var t = b.Transpose(b.Reshape(y, [0, 2, 1]), [0, 2, 1]);                                                   // ints
        var up = b.ResizeNearest(b.Unsqueeze(t, [3]), [1, 1, 2, 1]);                                               // strings as string attributes
        using var k = tensor(new long[] { 7, -8 }, [2]);
        var c = b.Constant(k, "k");                                                                                // tensor attribute
        b.AddOutput(up, OnnxDataType.Float, ["batch", 1, 4, 1], "up");
        b.AddOutput(c, OnnxDataType.Int64, [2]);
        if (opset >= 12) // Constant's value_floats / value_strings exist from opset 12 on
        {
            b.AddNode("Constant", [], [OnnxAttribute.Floats("value_floats", 1.5f, -2.25f)], "floats");
            b.AddNode("Constant", [], [OnnxAttribute.Strings("value_strings", "a", "ünï")], "strings");
            b.AddOutput("floats", OnnxDataType.Float, [2]);
            b.AddOutput("strings", OnnxDataType.String, [2]);
        }
        b.SetMetadata("class_names", "[\"cat\",\"dog\"]");
        b.SetMetadata("dim_z", "120");
        return b;
    }

    [TestMethod]
    [DataRow(11)]
    [DataRow(13)]
    public void ReferenceDecoderReadsEveryFieldBack(int opset)
    {
        var path = Path.Combine(_dir, "every.onnx");
        EveryKind(opset).Save(path);
        var s = OnnxChecker.Check(path);

        Assert.AreEqual(opset == 11 ? 6 : 7, s["ir_version"]!.GetValue<int>());
        Assert.AreEqual(opset, s["opset_import"]![""]!.GetValue<int>());
        Assert.AreEqual("BigGan.NET", s["producer_name"]!.GetValue<string>());
        Assert.AreEqual("every_kind", s["graph_name"]!.GetValue<string>());
        Assert.AreEqual("120", s["metadata"]!["dim_z"]!.GetValue<string>());
        Assert.AreEqual("[\"cat\",\"dog\"]", s["metadata"]!["class_names"]!.GetValue<string>());
        Assert.AreEqual("[\"batch\",3]", s["inputs"]![0]!["dims"]!.ToJsonString());
        Assert.AreEqual(7, s["outputs"]![1]!["elem_type"]!.GetValue<int>());
        Assert.AreEqual("[\"batch\",1,4,1]", s["outputs"]![0]!["dims"]!.ToJsonString());
        Assert.AreEqual("[2,3]", s["initializers"]!["w"]!["dims"]!.ToJsonString());

        var nodes = s["nodes"]!.AsArray();
        JsonObject Attrs(string op) => nodes.First(n => n!["op_type"]!.GetValue<string>() == op)!["attributes"]!.AsObject();
        Assert.AreEqual(2f, Attrs("Gemm")["alpha"]!.GetValue<float>());
        Assert.AreEqual(0.25f, Attrs("Gemm")["beta"]!.GetValue<float>());
        Assert.AreEqual(1, Attrs("Gemm")["transB"]!.GetValue<int>());
        Assert.AreEqual("[0,2,1]", Attrs("Transpose")["perm"]!.ToJsonString());
        Assert.AreEqual("asymmetric", Attrs("Resize")["coordinate_transformation_mode"]!.GetValue<string>());
        Assert.AreEqual("floor", Attrs("Resize")["nearest_mode"]!.GetValue<string>());
        var constants = nodes.Where(n => n!["op_type"]!.GetValue<string>() == "Constant").Select(n => n!["attributes"]!.AsObject()).ToList();
        Assert.AreEqual("[7,-8]", constants[0]["value"]!["values"]!.ToJsonString());
        if (opset >= 12)
        {
            Assert.AreEqual("[1.5,-2.25]", constants[1]["value_floats"]!.ToJsonString());
            Assert.AreEqual("ünï", constants[2]["value_strings"]![1]!.GetValue<string>());
        }
        var unsqueeze = nodes.First(n => n!["op_type"]!.GetValue<string>() == "Unsqueeze")!;
        if (opset == 11) Assert.AreEqual("[3]", unsqueeze["attributes"]!["axes"]!.ToJsonString());
        else Assert.AreEqual(2, unsqueeze["inputs"]!.AsArray().Count);
    }

    [TestMethod]
    public void EncodingIsByteIdenticalToTheReferenceReEncoding()
    {
        var path = Path.Combine(_dir, "every.onnx");
        var again = Path.Combine(_dir, "again.bin");
        var builder = EveryKind(13);
        builder.Save(path);
        OnnxChecker.Check(path, again);
        CollectionAssert.AreEqual(File.ReadAllBytes(again), File.ReadAllBytes(path));
        CollectionAssert.AreEqual(File.ReadAllBytes(path), builder.ToArray());
    }

    [TestMethod]
    public void OpsetSpecificFormsOfSplitAndResize()
    {
        var b11 = new OnnxGraphBuilder(11);
        var b13 = new OnnxGraphBuilder(13);
        foreach (var b in new[] { b11, b13 })
        {
            var x = b.AddInput("x", OnnxDataType.Float, 1, 4, 2, 2);
            var parts = b.Split(x, 1, [1, 3]);
            b.AddOutput(b.Upsample2x(parts[1]), OnnxDataType.Float, [1, 3, 4, 4], "y");
            b.AddOutput(parts[0], OnnxDataType.Float, [1, 1, 2, 2], "first");
        }
        var p11 = Path.Combine(_dir, "s11.onnx");
        var p13 = Path.Combine(_dir, "s13.onnx");
        b11.Save(p11);
        b13.Save(p13);
        var n11 = OnnxChecker.Check(p11)["nodes"]!.AsArray();
        var n13 = OnnxChecker.Check(p13)["nodes"]!.AsArray();
        JsonNode Node(JsonArray nodes, string op) => nodes.First(n => n!["op_type"]!.GetValue<string>() == op)!;
        Assert.AreEqual("[1,3]", Node(n11, "Split")["attributes"]!["split"]!.ToJsonString());
        Assert.AreEqual(2, Node(n13, "Split")["inputs"]!.AsArray().Count);
        Assert.AreNotEqual("", Node(n11, "Resize")["inputs"]![1]!.GetValue<string>()); // roi required at opset 11
        Assert.AreEqual("", Node(n13, "Resize")["inputs"]![1]!.GetValue<string>());
    }

    [TestMethod]
    public void SharedConstantsAreStoredOnce()
    {
        var b = new OnnxGraphBuilder();
        Assert.AreEqual(b.Int64s(1, 2), b.Int64s(1, 2));
        Assert.AreNotEqual(b.Int64s(1, 2), b.Int64s(2, 1));
        Assert.AreEqual(b.Scalar(1f), b.Scalar(1f));
        Assert.AreNotEqual(b.Scalar(0f), b.Scalar(-0f));
        Assert.AreEqual(5, b.InitializerCount);
    }

    [TestMethod]
    public void MistakesFailAtTheCallThatMakesThem()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxGraphBuilder(10));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxGraphBuilder(18));
        var b = new OnnxGraphBuilder(11);
        var x = b.AddInput("x", OnnxDataType.Float, 1, 4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => b.Relu("nope"));
        StringAssert.Contains(e.Message, "'nope' is not defined");
        e = Assert.ThrowsExactly<ArgumentException>(() => b.AddInput("x", OnnxDataType.Float, 1));
        StringAssert.Contains(e.Message, "'x' is already defined");
        Assert.ThrowsExactly<ArgumentException>(() => b.Relu(x, name: "x"));
        Assert.ThrowsExactly<NotSupportedException>(() => b.Softmax(x, axis: 1));
        Assert.ThrowsExactly<ArgumentException>(() => b.Split(x, 1, []));
        Assert.ThrowsExactly<ArgumentException>(() => b.ResizeNearest(x, [1, 0]));
        Assert.ThrowsExactly<ArgumentException>(() => b.AddInitializer("w", new float[3], 2, 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxDim(-1));
        using var v = ones(3);
        Assert.ThrowsExactly<ArgumentException>(() => b.Linear(x, v, null, "fc"));
    }

    [TestMethod]
    public void FailedSaveLeavesTheOldFileAndNoTemporaries()
    {
        var path = Path.Combine(_dir, "model.onnx");
        File.WriteAllText(path, "old");
        var b = new OnnxGraphBuilder();
        b.AddInput("x", OnnxDataType.Float, 1);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => b.Save(path)); // no outputs
        StringAssert.Contains(e.Message, "no outputs");
        Assert.AreEqual("old", File.ReadAllText(path));
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => EveryKind(13).Save(Path.Combine(_dir, "missing", "m.onnx")));
        CollectionAssert.AreEqual(new[] { "model.onnx" }, Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray());
    }
}
