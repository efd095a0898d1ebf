using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

/// <summary>The fitted GenerateBigGanImages generates a batch of rows per generator call and equals the per-row chain.</summary>
[TestClass]
public sealed class BatchedGenerationTests
{
    [TestCleanup]
    public void Cleanup() => BigGanGeneratorRegistry.Clear();

    /// <summary>A generator that counts its calls.</summary>
    private sealed class Counting(IConditionalImageGenerator inner) : IConditionalImageGenerator
    {
        public int Calls { get; private set; }
        public int NumClasses => inner.NumClasses;
        public int Channels => inner.Channels;
        public int Resolution => inner.Resolution;
        public int DimZ => inner.DimZ;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public void SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents) => inner.SampleLatents(seeds, truncation, latents);

        public void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images)
        {
            Calls++;
            inner.Generate(latents, classes, images);
        }
    }

    public sealed class Input
    {
        public uint Class { get; set; }
        public ulong Seed { get; set; }
        public string Name { get; set; } = "";
        [VectorType(2)] public float[] Extra { get; set; } = [0, 0];
    }

    private static IDataView Data(MLContext ml, int n) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, n).Select(i =>
        new Input { Class = (uint)(i * 7 % 4), Seed = (ulong)(100 + i), Name = $"row{i}", Extra = [i, -i] }));

    private static IEstimator<ITransformer> Pipeline(MLContext ml, IConditionalImageGenerator g, int batchSize, string? seed = "Seed")
        => ml.Transforms.Conversion.MapValueToKey("Label", "Class", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory(), seedColumnName: seed, options: new SyntheticImageOptions { BatchSize = batchSize }));

    [TestMethod]
    [DataRow("Seed")]
    [DataRow(null)]
    public void Batched_EqualsThePerRowChain(string? seed)
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);
        var data = Data(ml, 11); // batches of 4, 4 and 3
        var model = (TransformerChain<ITransformer>)Pipeline(ml, g, 4, seed).Fit(data);
        var generate = model.LastTransformer as GenerateBigGanImagesTransformer ?? throw new AssertFailedException("Fit returns the batched transformer");
        var keyed = model.First().Transform(data);
        var batched = generate.Transform(keyed);
        var perRow = generate.PerRow.Transform(keyed);

        CollectionAssert.AreEqual(Rows.Vectors(perRow, "Pixels"), Rows.Vectors(batched, "Pixels"), new ArrayComparer());
        CollectionAssert.AreEqual(Rows.Vectors(perRow, "Extra"), Rows.Vectors(batched, "Extra"), new ArrayComparer());
        CollectionAssert.AreEqual(Texts(perRow, "Name"), Texts(batched, "Name"));
        Assert.AreEqual(perRow.Schema["Pixels"].Type, batched.Schema["Pixels"].Type);
        Assert.AreEqual(11L, Rows.Vectors(batched, "Pixels").Count);
    }

    [TestMethod]
    public void OneGeneratorCallPerBatch_AndNoneWithoutTheImageColumn()
    {
        var ml = new MLContext(seed: 1);
        var g = new Counting(new PatternImageGenerator(numClasses: 4, channels: 1, resolution: 8, dimZ: 5));
        var data = Data(ml, 10);
        var output = Pipeline(ml, g, 4).Fit(data).Transform(data);
        Rows.Vectors(output, "Pixels");
        Assert.AreEqual(3, g.Calls, "10 rows in batches of 4");
        Texts(output, "Name");
        Assert.AreEqual(3, g.Calls, "a cursor without the image column generates nothing");
    }

    [TestMethod]
    public void SavedModel_LoadsAsThePerRowChain_WithTheSameImages()
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);
        var data = Data(ml, 6);
        var model = Pipeline(ml, g, 4).Fit(data);
        var before = Rows.Vectors(model.Transform(data), "Pixels");
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        zip.Position = 0;
        var fresh = new MLContext(seed: 2);
        fresh.ComponentCatalog.RegisterAssembly(typeof(TestPixels1x8Factory).Assembly); // the test's own 1×8×8 shape
        var loaded = fresh.Model.Load(zip, out _);
        CollectionAssert.AreEqual(before, Rows.Vectors(loaded.Transform(data), "Pixels"), new ArrayComparer());
    }

    [TestMethod]
    public void MissingLabel_IsReportedWithTheRow()
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(numClasses: 4, channels: 1, resolution: 8, dimZ: 5);
        var rows = new[] { new Input { Name = "a", Seed = 1 }, new Input { Name = "unknown", Seed = 2 } };
        var data = ml.Data.LoadFromEnumerable(rows);
        // A value outside the key dictionary maps to ML.NET's missing key 0.
        var keys = ml.Data.LoadFromEnumerable(new[] { new NameRow { Name = "a" }, new NameRow { Name = "b" } });
        var withMissing = ml.Transforms.Conversion.MapValueToKey("Label", "Name", keyData: keys).Fit(data).Transform(data);
        var generate = ml.Transforms.GenerateBigGanImages(g, new TestPixels1x8Factory()).Fit(withMissing);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Rows.Vectors(generate.Transform(withMissing), "Pixels"));
        StringAssert.Contains(e.Message, "missing label (key 0)");
    }

    public sealed class NameRow
    {
        public string Name { get; set; } = "";
    }

    private static List<string> Texts(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(col);
        var rows = new List<string>();
        ReadOnlyMemory<char> v = default;
        while (cursor.MoveNext()) { getter(ref v); rows.Add(v.ToString()); }
        return rows;
    }

    private sealed class ArrayComparer : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => ((float[])x!).SequenceEqual((float[])y!) ? 0 : 1;
    }
}
