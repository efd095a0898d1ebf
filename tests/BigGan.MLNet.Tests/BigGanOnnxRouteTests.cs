using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

/// <summary>
/// The ONNX route's wiring (shapes, column copies, drops), with ApplyOnnxModel replaced by a custom mapping that
/// computes what the exported graph computes. The real ONNX Runtime run is in BigGan.MLNet.Onnx.Tests.
/// </summary>
[TestClass]
public sealed class BigGanOnnxRouteTests
{
    private static readonly PatternImageGenerator Generator = new(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);
    private static readonly BigGanOnnxOptions OneHot = new() { ClassInput = BigGanOnnxClassInput.OneHot };

    [TestMethod]
    public void ClassInputName_FollowsTheKindUnlessSet()
    {
        Assert.AreEqual(BigGanOnnxClassInput.Index, new BigGanOnnxOptions().ClassInput, "biggan export's default");
        Assert.AreEqual("class_index", new BigGanOnnxOptions().ClassInputName);
        Assert.AreEqual("class_onehot", OneHot.ClassInputName);
        Assert.AreEqual("y", new BigGanOnnxOptions { ClassInputName = "y", ClassInput = BigGanOnnxClassInput.OneHot }.ClassInputName);
        var shapes = BigGanOnnxRoute.ShapeDictionary(BigGanOnnxGraph.From(Generator));
        CollectionAssert.AreEqual(new[] { 1, 1 }, shapes["class_index"]);
    }

    [TestMethod]
    public void ShapeDictionary_FixesTheBatchAtOne()
    {
        var graph = BigGanOnnxGraph.From(Generator);
        var shapes = BigGanOnnxRoute.ShapeDictionary(graph, OneHot);
        CollectionAssert.AreEqual(new[] { 1, 5 }, shapes["z"]);
        CollectionAssert.AreEqual(new[] { 1, 4 }, shapes["class_onehot"]);
        CollectionAssert.AreEqual(new[] { 1, 1, 8, 8 }, shapes["pixels"]);
        var index = BigGanOnnxRoute.ShapeDictionary(graph, new BigGanOnnxOptions { ClassInput = BigGanOnnxClassInput.Index, ClassInputName = "y" });
        CollectionAssert.AreEqual(new[] { 1, 1 }, index["y"]);
        Assert.ThrowsExactly<ArgumentException>(() => BigGanOnnxRoute.ShapeDictionary(graph, new BigGanOnnxOptions { OutputName = "z" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BigGanOnnxRoute.ShapeDictionary(graph with { Channels = 2 }));
    }

    [TestMethod]
    public void RequestOptions_EmitTheGraphInputsWithoutPixels()
    {
        var o = BigGanOnnxRoute.RequestOptions(new BigGanDataOptions { BaseSeed = 9 }, OneHot);
        Assert.IsTrue(o.IncludeLatent && o.IncludeClassOneHot && !o.IncludePixels);
        Assert.AreEqual(9UL, o.BaseSeed);
        var index = BigGanOnnxRoute.RequestOptions();
        Assert.IsTrue(index.IncludeLatent && !index.IncludeClassOneHot && !index.IncludePixels, "the default is biggan export's class_index");
        Assert.AreEqual(BigGanColumns.ClassIndex, BigGanOnnxRoute.DefaultClassColumn(new BigGanOnnxOptions { ClassInput = BigGanOnnxClassInput.Index }));
    }

    [TestMethod]
    public void Route_MatchesTheDirectRoute()
    {
        var ml = new MLContext(seed: 1);
        var data = new BigGanDataOptions { BaseSeed = 4, Truncation = 0.7f };
        var requests = ml.Data.LoadFromBigGan(Generator, 10, BigGanOnnxRoute.RequestOptions(data, OneHot));
        var options = OneHot;
        IDictionary<string, int[]>? seenShapes = null;
        string[]? seenInputs = null;
        var route = BigGanOnnxRoute.Build(ml.Transforms, BigGanOnnxGraph.From(Generator), "Pixels", BigGanColumns.Latent, BigGanColumns.ClassOneHot, options,
            (outputs, inputs, shapes) =>
            {
                (seenInputs, seenShapes) = (inputs, shapes);
                CollectionAssert.AreEqual(new[] { "pixels" }, outputs);
                return ml.Transforms.CustomMapping<GraphInputs, GraphOutput>(ExportedGraph, contractName: null);
            });
        CollectionAssert.AreEqual(new[] { "z", "class_onehot" }, seenInputs);
        CollectionAssert.AreEqual(new[] { 1, 1, 8, 8 }, seenShapes!["pixels"]);

        var output = route.Fit(requests).Transform(requests);
        foreach (var name in new[] { "z", "class_onehot", "pixels" })
            Assert.IsNull(output.Schema.GetColumnOrNull(name), $"graph column {name} is dropped");
        Assert.IsNotNull(output.Schema.GetColumnOrNull(BigGanColumns.Latent));
        var viaGraph = Rows.Vectors(output, "Pixels");
        var direct = Rows.Vectors(ml.Data.LoadFromBigGan(Generator, 10, data), "Pixels");
        for (int i = 0; i < 10; i++) CollectionAssert.AreEqual(direct[i], viaGraph[i], $"row {i}");
    }

    // What the exported graph computes: G(z, class) in [-1, 1], then (x + 1) · 127.5 clipped to [0, 255].
    private static void ExportedGraph(GraphInputs input, GraphOutput output)
    {
        int cls = Array.IndexOf(input.ClassOneHot, 1f);
        var image = new float[64];
        Generator.Generate(input.Z, [cls], image);
        for (int i = 0; i < 64; i++) output.Pixels[i] = Math.Clamp((image[i] + 1f) * 127.5f, 0f, 255f);
    }

    public sealed class GraphInputs
    {
        [ColumnName("z"), VectorType(5)] public float[] Z { get; set; } = [];

        [ColumnName("class_onehot"), VectorType(4)] public float[] ClassOneHot { get; set; } = [];
    }

    public sealed class GraphOutput
    {
        [ColumnName("pixels"), VectorType(1, 1, 8, 8)] public float[] Pixels { get; set; } = new float[64];
    }
}
