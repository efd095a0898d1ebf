using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

[TestClass]
public sealed class BigGanDataViewTests
{
    private static readonly string[] Names = ["tee", "trouser", "pullover", "dress"];

    private static PatternImageGenerator Generator() => new(numClasses: 4, channels: 1, resolution: 6, dimZ: 5, classNames: Names);

    private static IDataView Load(PatternImageGenerator g, long count, BigGanDataOptions? options = null)
        => new MLContext(seed: 1).Data.LoadFromBigGan(g, count, options ?? new BigGanDataOptions { BaseSeed = 7, BatchSize = 4 });

    [TestMethod]
    public void Schema_HasTypedColumnsAndClassNamesAsKeyValues()
    {
        var view = Load(Generator(), 10, new BigGanDataOptions { IncludeLatent = true, IncludeClassOneHot = true, ReplicateGrayscaleToRgb = true });
        var s = view.Schema;
        CollectionAssert.AreEqual(new[] { "RowId", "Label", "ClassIndex", "Seed", "ClassOneHot", "Latent", "Pixels" }, s.Select(c => c.Name).ToArray());
        Assert.AreEqual(NumberDataViewType.UInt64, s["RowId"].Type);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 4), s["Label"].Type);
        Assert.AreEqual(NumberDataViewType.Int64, s["ClassIndex"].Type);
        Assert.AreEqual(NumberDataViewType.UInt64, s["Seed"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), s["ClassOneHot"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 5), s["Latent"].Type);
        var pixels = (VectorDataViewType)s["Pixels"].Type;
        CollectionAssert.AreEqual(new[] { 3, 6, 6 }, pixels.Dimensions.ToArray());

        VBuffer<ReadOnlyMemory<char>> keys = default;
        s["Label"].GetKeyValues(ref keys);
        CollectionAssert.AreEqual(Names, keys.DenseValues().Select(k => k.ToString()).ToArray());

        var minimal = Load(Generator(), 3, new BigGanDataOptions { IncludePixels = false });
        CollectionAssert.AreEqual(new[] { "RowId", "Label", "ClassIndex", "Seed" }, minimal.Schema.Select(c => c.Name).ToArray());
    }

    [TestMethod]
    public void Rows_MatchTheSyntheticSetAndKeysAreOneBased()
    {
        var g = Generator();
        var options = new BigGanDataOptions { BaseSeed = 3, BatchSize = 3, IncludeLatent = true, Classes = ClassSchedule.Weighted(0.1, 0.2, 0.3, 0.4) };
        var rows = Rows.ReadAll(Load(g, 11, options));
        var set = new SyntheticImageSet(g, 11, options);
        Assert.AreEqual(11, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var want = set.Request(i);
            Assert.AreEqual((ulong)i, rows[i].RowId);
            Assert.AreEqual(want.Seed, rows[i].Seed);
            Assert.AreEqual((long)want.ClassIndex, rows[i].ClassIndex);
            Assert.AreEqual((uint)want.ClassIndex + 1, rows[i].Label);
            CollectionAssert.AreEqual(set.Renderer.Render(want.Seed, want.ClassIndex), rows[i].Pixels);
            var z = new float[5];
            set.Renderer.SampleLatents([want.Seed], z);
            CollectionAssert.AreEqual(z, rows[i].Latent);
        }
    }

    [TestMethod]
    public void RowCount_IsKnownAndCursorsServeExactlyThatMany()
    {
        foreach (int n in new[] { 0, 1, 9 })
        {
            var view = Load(Generator(), n);
            Assert.AreEqual((long)n, view.GetRowCount());
            Assert.AreEqual(n, Rows.ReadAll(view).Count);
            Assert.AreEqual(n, Rows.ReadAll(view, new Random(5)).Count);
        }
        Assert.IsTrue(Load(Generator(), 1).CanShuffle);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Data.LoadFromBigGan(Generator(), -1));
    }

    [TestMethod]
    public void TwoCursors_GiveIdenticalRows()
    {
        var view = Load(Generator(), 13);
        var a = Rows.ReadAll(view);
        var b = Rows.ReadAll(view);
        CollectionAssert.AreEqual(a.Select(r => r.Key).ToList(), b.Select(r => r.Key).ToList());
        // A view built again from the same options agrees too.
        CollectionAssert.AreEqual(a.Select(r => r.Key).ToList(), Rows.ReadAll(Load(Generator(), 13)).Select(r => r.Key).ToList());
    }

    [TestMethod]
    public void CursorSets_PartitionTheRowsAndBatchesRecoverTheSerialOrder()
    {
        var view = Load(Generator(), 17);
        var serial = Rows.ReadAll(view).Select(r => r.Key).ToList();
        foreach (int n in new[] { 1, 3, 40 })
        {
            var cursors = view.GetRowCursorSet(view.Schema, n);
            Assert.IsTrue(cursors.Length >= 1 && cursors.Length <= Math.Min(n, 17));
            var parts = cursors.Select(c => (c.Batch, Rows: Rows.Read(c))).ToList();
            foreach (var c in cursors) c.Dispose();
            Assert.AreEqual(parts.Count, parts.Select(p => p.Batch).Distinct().Count(), "each batch number belongs to one cursor");
            var consolidated = parts.OrderBy(p => p.Batch).SelectMany(p => p.Rows).Select(r => r.Key).ToList();
            CollectionAssert.AreEqual(serial, consolidated, $"n = {n}");
        }
    }

    [TestMethod]
    public void ShuffledCursors_GiveTheSameMultisetInAnotherOrder()
    {
        var view = Load(Generator(), 30);
        var serial = Rows.ReadAll(view).Select(r => r.Key).ToList();
        var shuffled = Rows.ReadAll(view, new Random(11)).Select(r => r.Key).ToList();
        CollectionAssert.AreNotEqual(serial, shuffled);
        CollectionAssert.AreEquivalent(serial, shuffled);
        CollectionAssert.AreEqual(shuffled, Rows.ReadAll(view, new Random(11)).Select(r => r.Key).ToList(), "same Random seed, same order");

        var set = view.GetRowCursorSet(view.Schema, 4, new Random(11));
        var fromSet = set.OrderBy(c => c.Batch).SelectMany(c => Rows.Read(c)).Select(r => r.Key).ToList();
        foreach (var c in set) c.Dispose();
        CollectionAssert.AreEqual(shuffled, fromSet, "a shuffled cursor set partitions the shuffled order");
    }

    [TestMethod]
    public void OnlyActiveColumnsAreComputed()
    {
        var g = Generator();
        var view = Load(g, 10, new BigGanDataOptions { BatchSize = 4, IncludeLatent = true });
        using (var labels = view.GetRowCursor([view.Schema["Label"], view.Schema["Seed"]]))
        {
            var getter = labels.GetGetter<uint>(view.Schema["Label"]);
            uint v = 0;
            while (labels.MoveNext()) getter(ref v);
            Assert.IsFalse(labels.IsColumnActive(view.Schema["Pixels"]));
        }
        Assert.AreEqual(0L, g.ImagesGenerated, "no image for a cursor without Pixels");
        Assert.AreEqual(10, Rows.Vectors(view, "Latent").Count);
        Assert.AreEqual(0L, g.ImagesGenerated, "latents alone generate no image");

        Assert.AreEqual(10, Rows.Vectors(view, "Pixels").Count);
        Assert.AreEqual(10L, g.ImagesGenerated);
        Assert.AreEqual(3, g.GenerateCalls, "batches of 4: 4 + 4 + 2");
    }

    [TestMethod]
    public void Cursor_EnforcesItsProtocolAndDisposes()
    {
        var view = Load(Generator(), 3);
        var cursor = view.GetRowCursor([view.Schema["Label"]]);
        var label = cursor.GetGetter<uint>(view.Schema["Label"]);
        uint v = 0;
        Assert.ThrowsExactly<InvalidOperationException>(() => label(ref v), "before MoveNext");
        Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<uint>(view.Schema["Seed"]), "inactive column");
        var wrong = Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<int>(view.Schema["Label"]));
        StringAssert.Contains(wrong.Message, "Label");
        Assert.IsTrue(cursor.MoveNext());
        Assert.AreEqual(0L, cursor.Position);
        label(ref v);
        Assert.AreEqual(1u, v);
        cursor.Dispose();
        cursor.Dispose();
        Assert.IsFalse(cursor.MoveNext());
        Assert.ThrowsExactly<ObjectDisposedException>(() => label(ref v));
    }
}
