using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

/// <summary>
/// Fit on generated rows, score real images with the saved model: the generator stage and the classifier stage are fitted
/// as two models, and only the classifier, whose input is a Pixels column, is saved. Real rows carry Pixels themselves.
/// </summary>
[TestClass]
public sealed class RealRowsTests
{
    [TestCleanup]
    public void Cleanup() => BigGanGeneratorRegistry.Clear();

    /// <summary>A real image row: pixels as a decoded 32×32 grayscale file gives them, and the class.</summary>
    public sealed class RealImage
    {
        [VectorType(1, 32, 32)] public float[] Pixels { get; set; } = [];
        public uint Class { get; set; }
    }

    [TestMethod]
    public void ClassifierFittedOnGeneratedRows_ScoresRealRowsAfterLoading()
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(numClasses: 10, channels: 1, resolution: 32, dimZ: 8);
        var requests = ml.Data.LoadFromBigGan(g, 200, new BigGanDataOptions { BaseSeed = 1, IncludePixels = false });

        // Stage 1, the generator, fitted alone; a cache so that the trainer's passes do not regenerate the images.
        var generated = ml.Data.Cache(ml.Transforms.GenerateBigGanImages(g).Fit(requests).Transform(requests));
        // Stage 2, the classifier, on the Pixels column: the only model saved.
        var classifier = ml.Transforms.NormalizeMinMax("Features", BigGanColumns.Pixels)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(BigGanColumns.Label, "Features", maximumNumberOfIterations: 20))
            .Fit(generated);
        using var zip = new MemoryStream();
        ml.Model.Save(classifier, generated.Schema, zip);

        // "Real" images (other seeds, as files would give them) with labels from their own class column.
        var renderer = new SyntheticImageRenderer(g);
        var real = Enumerable.Range(0, 40).Select(i => new RealImage { Pixels = renderer.Render((ulong)(5000 + i), i % 10), Class = (uint)(i % 10) });
        var fresh = new MLContext(seed: 2); // nothing registered: the classifier does not need the generator
        var realData = fresh.Data.LoadFromEnumerable(real);
        // Map the class to the same key the generated Label column has (1-based class + 1, 10 values).
        var keyed = fresh.Transforms.Conversion.MapValueToKey(BigGanColumns.Label, nameof(RealImage.Class),
            keyData: fresh.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(c => new ClassValue { Class = (uint)c }))).Fit(realData).Transform(realData);
        zip.Position = 0;
        var loaded = fresh.Model.Load(zip, out var inputSchema);
        Assert.AreEqual(generated.Schema[BigGanColumns.Pixels].Type, inputSchema[BigGanColumns.Pixels].Type);
        var metrics = fresh.MulticlassClassification.Evaluate(loaded.Transform(keyed));
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy on real rows {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void SavedGeneratorPipeline_RefusesRealRowsNamingTheMissingColumn()
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(numClasses: 10, channels: 1, resolution: 32, dimZ: 8);
        var requests = ml.Data.LoadFromBigGan(g, 20, new BigGanDataOptions { IncludePixels = false });
        var model = ml.Transforms.GenerateBigGanImages(g).Fit(requests);
        var real = ml.Data.LoadFromEnumerable(new[] { new RealImage { Pixels = new float[1024], Class = 1 } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(real));
        StringAssert.Contains(e.Message, "label column 'Label' not found");
        StringAssert.Contains(e.Message, "fit the stages after GenerateBigGanImages as a model of their own");
    }

    public sealed class ClassValue
    {
        public uint Class { get; set; }
    }
}
