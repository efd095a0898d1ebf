using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

[TestClass]
public sealed class AppendRowsTests
{
    public sealed class RealRow
    {
        [KeyType(4)] public uint Label { get; set; }

        [VectorType(1, 6, 6)] public float[] Pixels { get; set; } = new float[36];
    }

    private static (MLContext ml, IDataView real, IDataView synthetic) Sources(int realCount = 5, int syntheticCount = 7)
    {
        var ml = new MLContext(seed: 1);
        // Real rows: class i % 4 (stored as key i % 4 + 1), every pixel equal to 1000 + i so rows are told apart.
        var real = ml.Data.LoadFromEnumerable(Enumerable.Range(0, realCount)
            .Select(i => new RealRow { Label = (uint)(i % 4), Pixels = Enumerable.Repeat(1000f + i, 36).ToArray() }).ToList());
        var generated = ml.Data.LoadFromBigGan(new PatternImageGenerator(4, 1, 6, 3), syntheticCount, new BigGanDataOptions { BaseSeed = 2 });
        var synthetic = ml.Transforms.SelectColumns("Label", "Pixels").Fit(generated).Transform(generated);
        return (ml, real, synthetic);
    }

    private static List<string> Read(IDataView view, Random? rand = null)
    {
        using var cursor = view.GetRowCursor(view.Schema, rand);
        var label = cursor.GetGetter<uint>(view.Schema["Label"]);
        var pixels = cursor.GetGetter<VBuffer<float>>(view.Schema["Pixels"]);
        var id = cursor.GetIdGetter();
        var rows = new List<string>();
        var ids = new HashSet<DataViewRowId>();
        uint l = 0; VBuffer<float> p = default; DataViewRowId rid = default;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(rows.Count, cursor.Position);
            label(ref l); pixels(ref p); id(ref rid);
            Assert.IsTrue(ids.Add(rid), "row ids are unique across sources");
            rows.Add($"{l}:{string.Join(",", p.DenseValues())}");
        }
        return rows;
    }

    [TestMethod]
    public void Rows_AreTheSourcesOneAfterAnother()
    {
        var (ml, real, synthetic) = Sources();
        var mixed = ml.Data.AppendRows(real, synthetic);
        Assert.AreEqual(12L, mixed.GetRowCount());
        Assert.AreEqual(real.Schema["Label"].Type, mixed.Schema["Label"].Type);
        var rows = Read(mixed);
        CollectionAssert.AreEqual(Read(real).Concat(Read(synthetic)).ToList(), rows);
        CollectionAssert.AreEqual(rows, Read(mixed), "two cursors agree");
        var cursors = mixed.GetRowCursorSet(mixed.Schema, 4);
        Assert.AreEqual(1, cursors.Length);
        cursors[0].Dispose();
    }

    [TestMethod]
    public void ShuffledCursor_MixesSourcesAndKeepsTheMultiset()
    {
        var ml = new MLContext(seed: 1);
        var g = new PatternImageGenerator(4, 1, 6, 3);
        var a = ml.Data.LoadFromBigGan(g, 20, new BigGanDataOptions { BaseSeed = 1, Classes = ClassSchedule.Fixed(0) });
        var b = ml.Data.LoadFromBigGan(g, 20, new BigGanDataOptions { BaseSeed = 2, Classes = ClassSchedule.Fixed(3) });
        var mixed = ml.Data.AppendRows(a, b);
        Assert.IsTrue(mixed.CanShuffle);
        var serial = Read(mixed);
        var shuffled = Read(mixed, new Random(3));
        CollectionAssert.AreEquivalent(serial, shuffled);
        CollectionAssert.AreNotEqual(serial, shuffled);
        Assert.IsTrue(shuffled.Take(20).Any(r => r.StartsWith("1:")) && shuffled.Take(20).Any(r => r.StartsWith("4:")), "both sources appear early");
        CollectionAssert.AreEqual(shuffled, Read(mixed, new Random(3)));

        // LoadFromEnumerable cannot shuffle, so neither can a mix with it: ShuffleRows (pool shuffling) still works.
        var (_, real, synthetic) = Sources(20, 20);
        var withReal = ml.Data.AppendRows(real, synthetic);
        Assert.IsFalse(withReal.CanShuffle);
        CollectionAssert.AreEqual(Read(withReal), Read(withReal, new Random(3)), "rand is ignored when the view cannot shuffle");
        var pooled = Read(ml.Data.ShuffleRows(withReal, seed: 4));
        CollectionAssert.AreEquivalent(Read(withReal), pooled);
    }

    [TestMethod]
    public void MismatchedSchemas_AreRefusedNamingTheColumn()
    {
        var (ml, real, synthetic) = Sources();
        var big = ml.Data.LoadFromBigGan(new PatternImageGenerator(4, 1, 8, 3), 2);
        var bigSelected = ml.Transforms.SelectColumns("Label", "Pixels").Fit(big).Transform(big);
        var size = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.AppendRows(real, bigSelected));
        StringAssert.Contains(size.Message, "Column 'Pixels' is Vector<Single, 1, 8, 8> in data view 1 but Vector<Single, 1, 6, 6> in data view 0");

        var full = ml.Data.LoadFromBigGan(new PatternImageGenerator(4, 1, 6, 3), 2);
        var extra = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.AppendRows(real, full));
        StringAssert.Contains(extra.Message, "'RowId'");
        var missing = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.AppendRows(full, real));
        StringAssert.Contains(missing.Message, "no column 'RowId'");

        var fiveClasses = ml.Data.LoadFromBigGan(new PatternImageGenerator(5, 1, 6, 3), 2);
        var fiveSelected = ml.Transforms.SelectColumns("Label", "Pixels").Fit(fiveClasses).Transform(fiveClasses);
        var key = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.AppendRows(synthetic, fiveSelected));
        StringAssert.Contains(key.Message, "Column 'Label' is Key<UInt32, 0-4>");

        Assert.ThrowsExactly<ArgumentException>(() => ml.Data.AppendRows());
        Assert.ThrowsExactly<ArgumentNullException>(() => ml.Data.AppendRows(real, null!));
    }

    [TestMethod]
    public void VectorsOfTheSameSizeAppendWhateverTheirDimensions()
    {
        var ml = new MLContext();
        var flat = ml.Data.LoadFromEnumerable(new[] { new FlatRow { Label = 1, Pixels = new float[36] } });
        var (_, real, _) = Sources();
        var mixed = ml.Data.AppendRows(real, flat);
        Assert.AreEqual(6, Read(mixed).Count);
    }

    public sealed class FlatRow
    {
        [KeyType(4)] public uint Label { get; set; }

        [VectorType(36)] public float[] Pixels { get; set; } = [];
    }
}
