using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>The ONNX route run by ML.NET's OnnxTransformer and ONNX Runtime, against the direct route.</summary>
[TestClass]
public sealed class OnnxRouteTests
{
    // ONNX Runtime's tanh differs from MathF.Tanh by a few ulps; on the 0..255 scale that stays far below 1e-3.
    private const float Tolerance = 1e-3f;

    private static readonly PatternImageGenerator Generator = new(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);

    // The pattern graph takes class_onehot.
    private static readonly BigGanOnnxOptions OneHot = new() { ClassInput = BigGanOnnxClassInput.OneHot };

    private static string WriteModel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"biggan-pattern-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, PatternGeneratorOnnx.Build(Generator));
        return path;
    }

    private static void AssertClose(List<float[]> expected, List<float[]> actual)
    {
        Assert.AreEqual(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Length, actual[i].Length, $"row {i} size");
            for (int k = 0; k < expected[i].Length; k++)
                Assert.AreEqual(expected[i][k], actual[i][k], Tolerance, $"row {i}, element {k}");
        }
    }

    [TestMethod]
    public void OnnxRoute_MatchesTheDirectRoute()
    {
        var ml = new MLContext(seed: 1);
        string path = WriteModel();
        try
        {
            var data = new BigGanDataOptions { BaseSeed = 8, Truncation = 0.7f };
            var requests = ml.Data.LoadFromBigGan(Generator, 12, BigGanOnnxRoute.RequestOptions(data, OneHot));
            var model = ml.Transforms.ApplyBigGanOnnxGenerator(path, BigGanOnnxGraph.From(Generator), options: OneHot).Fit(requests);
            var output = model.Transform(requests);
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 1, 8, 8), output.Schema["Pixels"].Type);
            AssertClose(DataViewColumns.Vectors(ml.Data.LoadFromBigGan(Generator, 12, data), "Pixels"), DataViewColumns.Vectors(output, "Pixels"));
            (model as IDisposable)?.Dispose();
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void SavedModel_CarriesTheWeights()
    {
        var ml = new MLContext(seed: 1);
        string path = WriteModel();
        var data = BigGanOnnxRoute.RequestOptions(new BigGanDataOptions { BaseSeed = 3 }, OneHot);
        var requests = ml.Data.LoadFromBigGan(Generator, 5, data);
        using var zip = new MemoryStream();
        List<float[]> before;
        try
        {
            var model = ml.Transforms.ApplyBigGanOnnxGenerator(path, BigGanOnnxGraph.From(Generator), options: OneHot).Fit(requests);
            before = DataViewColumns.Vectors(model.Transform(requests), "Pixels");
            ml.Model.Save(model, requests.Schema, zip);
        }
        finally { File.Delete(path); }

        // The .onnx file is gone and nothing is registered: the zip alone restores the generator.
        BigGanGeneratorRegistry.Clear();
        var fresh = new MLContext(seed: 2);
        zip.Position = 0;
        var loaded = fresh.Model.Load(zip, out _);
        AssertClose(before, DataViewColumns.Vectors(loaded.Transform(requests), "Pixels"));
    }

    [TestMethod]
    public void MissingModelFile_IsReportedByName()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() =>
            new MLContext().Transforms.ApplyBigGanOnnxGenerator("/nonexistent/generator.onnx", BigGanOnnxGraph.From(Generator)));
        StringAssert.Contains(error.Message, "/nonexistent/generator.onnx");
    }
}
