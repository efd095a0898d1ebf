using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace BigGan.MLNet.Tests;

[TestClass]
public sealed class GenerateBigGanImagesTests
{
    private static PatternImageGenerator Small() => new(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);

    // 1×32×32 is a built-in shape; 10 classes as in Fashion-MNIST.
    private static PatternImageGenerator Builtin() => new(numClasses: 10, channels: 1, resolution: 32, dimZ: 8);

    [TestCleanup]
    public void Cleanup() => BigGanGeneratorRegistry.Clear();

    [TestMethod]
    public void Mapping_ReproducesTheGeneratedRowSource()
    {
        var ml = new MLContext(seed: 1);
        var g = Small();
        var options = new BigGanDataOptions { BaseSeed = 5, Truncation = 0.8f };
        var requests = ml.Data.LoadFromBigGan(g, 9, options with { IncludePixels = false });
        var estimator = ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), options: options);
        var output = estimator.Fit(requests).Transform(requests);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 1, 8, 8), output.Schema["Pixels"].Type);
        Assert.IsNull(output.Schema.GetColumnOrNull(BigGanRequestRow.LabelColumn), "private columns are dropped");
        var expected = Rows.Vectors(ml.Data.LoadFromBigGan(g, 9, options), "Pixels");
        var actual = Rows.Vectors(output, "Pixels");
        Assert.AreEqual(9, actual.Count);
        for (int i = 0; i < 9; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
    }

    [TestMethod]
    public void Mapping_TakesAnyColumnNamesAndWorksWithoutSeed()
    {
        var ml = new MLContext(seed: 1);
        var g = Small();
        var rows = new[] { new Request { Class = 2, Z = 10 }, new Request { Class = 3, Z = 11 }, new Request { Class = 2, Z = 12 } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Key", "Class")
            .Append(ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), outputColumnName: "Image", labelColumnName: "Key", seedColumnName: "Z"));
        var output = pipeline.Fit(data).Transform(data);
        var images = Rows.Vectors(output, "Image");
        var renderer = new SyntheticImageRenderer(g);
        // MapValueToKey numbers values in order of appearance: 2 → key 1 (class 0), 3 → key 2 (class 1).
        CollectionAssert.AreEqual(renderer.Render(10, 0), images[0]);
        CollectionAssert.AreEqual(renderer.Render(11, 1), images[1]);

        var seedless = ml.Transforms.Conversion.MapValueToKey("Key", "Class")
            .Append(ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), labelColumnName: "Key", seedColumnName: null));
        var fixedImages = Rows.Vectors(seedless.Fit(data).Transform(data), "Pixels");
        CollectionAssert.AreEqual(fixedImages[0], fixedImages[2], "same class, same image");
        CollectionAssert.AreEqual(renderer.Render(1, 0), fixedImages[0], "the key is the seed");
    }

    [TestMethod]
    public void Pipeline_TrainsAClassifierAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var g = Builtin();
        var train = ml.Data.LoadFromBigGan(g, 200, new BigGanDataOptions { BaseSeed = 1, IncludePixels = false });
        var test = ml.Data.LoadFromBigGan(g, 50, new BigGanDataOptions { BaseSeed = 2, IncludePixels = false });
        var pipeline = ml.Transforms.GenerateBigGanImages(g)
            .Append(ml.Transforms.NormalizeMinMax("Features", "Pixels"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features", maximumNumberOfIterations: 20));
        var model = pipeline.Fit(train);
        var predictions = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(predictions);
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy}");

        using var stream = new MemoryStream();
        ml.Model.Save(model, train.Schema, stream);

        // A new process knows nothing: loading fails with the registry's message.
        BigGanGeneratorRegistry.Clear();
        var fresh = new MLContext(seed: 1);
        stream.Position = 0;
        var error = Assert.Throws<Exception>(() => fresh.Model.Load(stream, out _));
        StringAssert.Contains(AllMessages(error), "No BigGAN generator is registered for output shape 1×32×32");

        BigGanGeneratorRegistry.Register(g);
        stream.Position = 0;
        var loaded = fresh.Model.Load(stream, out var inputSchema);
        Assert.AreEqual(train.Schema["Label"].Type, inputSchema["Label"].Type);
        var again = loaded.Transform(test);
        CollectionAssert.AreEqual(Rows.Vectors(predictions, "Score"), Rows.Vectors(again, "Score"), new ScoreComparer());
        Assert.AreEqual(metrics.MicroAccuracy, fresh.MulticlassClassification.Evaluate(again).MicroAccuracy);
    }

    [TestMethod]
    public void CustomShape_SavesAndLoadsWithItsAssemblyRegistered()
    {
        var ml = new MLContext(seed: 1);
        var g = Small();
        var data = ml.Data.LoadFromBigGan(g, 6, new BigGanDataOptions { IncludePixels = false });
        var model = ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory()).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        var fresh = new MLContext();
        fresh.ComponentCatalog.RegisterAssembly(typeof(TestPixels1x8Factory).Assembly);
        stream.Position = 0;
        var loaded = fresh.Model.Load(stream, out _);
        var a = Rows.Vectors(model.Transform(data), "Pixels");
        var b = Rows.Vectors(loaded.Transform(data), "Pixels");
        for (int i = 0; i < a.Count; i++) CollectionAssert.AreEqual(a[i], b[i]);
    }

    [TestMethod]
    public void BadInput_FailsAtSchemaTimeNamingColumnAndType()
    {
        var ml = new MLContext(seed: 1);
        var g = Small();
        var est = ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory());
        var rawLabel = ml.Data.LoadFromEnumerable(new[] { new RawLabel { Label = 1, Seed = 2 } });

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), labelColumnName: "Nope").Fit(rawLabel));
        StringAssert.Contains(missing.Message, "label column 'Nope' not found");
        // An estimator chain checks every stage's GetOutputSchema before fitting any: the error comes from there.
        var shapeMissing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.CopyColumns("Copy", "Seed").Append(ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), labelColumnName: "Nope")).Fit(rawLabel));
        StringAssert.Contains(shapeMissing.Message, "Key<UInt32>");
        Assert.IsTrue(shapeMissing.StackTrace!.Contains(nameof(GenerateBigGanImagesEstimator.GetOutputSchema)));

        var notKey = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CopyColumns("Copy", "Seed").Append(est).Fit(rawLabel));
        StringAssert.Contains(notKey.Message, "label column 'Label' is UInt32; expected Key<UInt32>");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => est.Fit(rawLabel));

        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rawLabel).Transform(rawLabel);
        var badSeed = ml.Data.LoadFromEnumerable(new[] { new WrongSeed { Label = 1, Seed = 2 } });
        var badSeedKeyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(badSeed).Transform(badSeed);
        var seedError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => est.Fit(badSeedKeyed));
        StringAssert.Contains(seedError.Message, "seed column 'Seed' is Int64; expected UInt64");

        var tooMany = ml.Data.LoadFromBigGan(Builtin(), 3, new BigGanDataOptions { IncludePixels = false });
        var range = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => est.Fit(tooMany));
        StringAssert.Contains(range.Message, "has 10 key values but the generator has 4 classes");

        var withOtherPixels = ml.Data.LoadFromBigGan(new PatternImageGenerator(4, 1, 6, 5), 3);
        var size = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => est.Fit(withOtherPixels));
        StringAssert.Contains(size.Message, "'Pixels' already exists as Vector<Single, 1, 6, 6>");
        StringAssert.Contains(size.Message, "Vector<Single, 1, 8, 8>");

        var shape = Assert.ThrowsExactly<NotSupportedException>(() => ml.Transforms.GenerateBigGanImages(g));
        StringAssert.Contains(shape.Message, "1×8×8");

        // A missing key can only be seen row by row: the row fails with a message that says so.
        // (LoadFromEnumerable stores a [KeyType(4)] field value v as key v + 1, and values past the count as key 0.)
        var zero = ml.Data.LoadFromEnumerable(new[] { new KeyedRow { Label = 99, Seed = 3 } });
        var output = est.Fit(zero).Transform(zero);
        var rowError = Assert.Throws<Exception>(() => Rows.Vectors(output, "Pixels"));
        StringAssert.Contains(AllMessages(rowError), "missing label (key 0)");
        Assert.IsNotNull(keyed);
    }

    private static string AllMessages(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException) parts.Add(x.Message);
        return string.Join(" | ", parts);
    }

    public sealed class Request
    {
        public int Class { get; set; }
        public ulong Z { get; set; }
    }

    public sealed class RawLabel
    {
        public uint Label { get; set; }
        public ulong Seed { get; set; }
    }

    public sealed class WrongSeed
    {
        public uint Label { get; set; }
        public long Seed { get; set; }
    }

    public sealed class KeyedRow
    {
        [KeyType(4)] public uint Label { get; set; }
        public ulong Seed { get; set; }
    }

    private sealed class ScoreComparer : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => ((float[])x!).SequenceEqual((float[])y!) ? 0 : 1;
    }
}

/// <summary>A shape that is not built in, declared the way users declare one.</summary>
public sealed class TestPixels1x8 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 8, 8)]
    public float[] Pixels = new float[64];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 8;

    float[] IBigGanPixels.Values => Pixels;
}

[CustomMappingFactoryAttribute("BigGan.MLNet.Tests.1x8x8")]
public sealed class TestPixels1x8Factory : BigGanImagesFactory<TestPixels1x8>;
