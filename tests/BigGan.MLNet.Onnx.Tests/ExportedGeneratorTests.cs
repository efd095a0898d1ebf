using BigGan.Training.Model;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>
/// A real (tiny) BigGAN generator exported as <c>biggan export</c> writes it by default, run by ML.NET's plain
/// <c>ApplyOnnxModel</c> (no helper) and by <c>ApplyBigGanOnnxGenerator</c>, against the C# sampler.
/// </summary>
[TestClass]
public sealed class ExportedGeneratorTests
{
    // [-1, 1] scale: ONNX Runtime and libtorch order their float sums differently.
    private const float Tolerance = 1e-4f;
    private const int Rows = 6;

    private static BigGanSampler _sampler = null!;
    private static string _dir = "", _path = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        torch.set_num_threads(1);
        using var rng = new torch.Generator(7);
        var g = new Generator(ModelConfig.Cifar(numClasses: 3, channels: 3, ch: 4), rng);
        // A few train-mode forwards so that the batch-norm statistics the graph folds in are not the initial 0 and 1.
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            g.train();
            for (int i = 0; i < 3; i++) g.forward(torch.randn([6, g.DimZ], generator: rng), torch.randint(0, 3, [6], generator: rng));
            g.eval();
        }
        _sampler = new BigGanSampler(g, ownsGenerator: true);
        _dir = Directory.CreateTempSubdirectory("biggan-mlnet-export-").FullName;
        _path = Path.Combine(_dir, "g.onnx");
        // What `biggan export --run ... --onnx g.onnx` writes with its defaults: batch 1, class_index int64 [1, 1].
        GeneratorExporter.Export(_sampler, _path, new GeneratorExportOptions { ClassInput = OnnxClassInput.IndexColumn });
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _sampler.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [TestMethod]
    public void PlainApplyOnnxModel_MatchesTheSampler()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromBigGan(_sampler, Rows, new BigGanDataOptions { BaseSeed = 5, Truncation = 0.8f, IncludeLatent = true });
        // ONNX binds columns to graph inputs by name: z (Vector<Single, DimZ>) and class_index (a scalar Int64).
        var pipeline = ml.Transforms.CopyColumns("z", BigGanColumns.Latent)
            .Append(ml.Transforms.CopyColumns("class_index", BigGanColumns.ClassIndex))
            .Append(ml.Transforms.ApplyOnnxModel(["image", "pixels"], ["z", "class_index"], _path));
        var model = pipeline.Fit(rows);
        var output = model.Transform(rows);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 3, 32, 32), output.Schema["image"].Type);

        var latents = DataViewColumns.Vectors(output, BigGanColumns.Latent);
        var classes = Longs(output, BigGanColumns.ClassIndex);
        var expected = new float[Rows * 3 * 32 * 32];
        _sampler.Generate(latents.SelectMany(v => v).ToArray(), classes.Select(c => (int)c).ToArray(), expected);
        var image = DataViewColumns.Vectors(output, "image").SelectMany(v => v).ToArray();
        Assert.IsTrue(MaxAbsDiff(expected, image) <= Tolerance, $"image: max abs diff {MaxAbsDiff(expected, image)} > {Tolerance}");
        Assert.IsTrue(expected.Max() - expected.Min() > 0.01f, "the test images are not constant");

        // The [0, 255] output against LoadFromBigGan's Pixels: the same difference scaled by 127.5.
        var pixels = DataViewColumns.Vectors(output, "pixels").SelectMany(v => v).ToArray();
        var direct = DataViewColumns.Vectors(output, BigGanColumns.Pixels).SelectMany(v => v).ToArray();
        Assert.IsTrue(MaxAbsDiff(direct, pixels) <= Tolerance * 127.5f, $"pixels: max abs diff {MaxAbsDiff(direct, pixels)}");
        (model as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void Helper_WithItsDefaults_RunsTheDefaultExport()
    {
        var ml = new MLContext(seed: 1);
        var data = new BigGanDataOptions { BaseSeed = 9 };
        var requests = ml.Data.LoadFromBigGan(_sampler, Rows, BigGanOnnxRoute.RequestOptions(data));
        var model = ml.Transforms.ApplyBigGanOnnxGenerator(_path, BigGanOnnxGraph.From(_sampler)).Fit(requests);
        var viaOnnx = DataViewColumns.Vectors(model.Transform(requests), BigGanColumns.Pixels).SelectMany(v => v).ToArray();
        var direct = DataViewColumns.Vectors(ml.Data.LoadFromBigGan(_sampler, Rows, data), BigGanColumns.Pixels).SelectMany(v => v).ToArray();
        Assert.IsTrue(MaxAbsDiff(direct, viaOnnx) <= Tolerance * 127.5f, $"pixels: max abs diff {MaxAbsDiff(direct, viaOnnx)}");
        (model as IDisposable)?.Dispose();
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length, "sizes");
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    private static List<long> Longs(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<long>(col);
        var rows = new List<long>();
        long v = 0;
        while (cursor.MoveNext()) { getter(ref v); rows.Add(v); }
        return rows;
    }
}
