using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class ShuffledBatchSourceTests
{
    private static (float[] images, long[] labels) Take(ShuffledBatchSource s, int n)
    {
        using var scope = NewDisposeScope();
        var (x, y) = s.Next(n);
        return (x.ToArray<float>(), y.ToArray<long>());
    }

    private static List<(float[] images, long[] labels)> Sequence(ShuffledBatchSource s, params int[] sizes) =>
        sizes.Select(n => Take(s, n)).ToList();

    private static void AssertSame(List<(float[] images, long[] labels)> a, List<(float[] images, long[] labels)> b)
    {
        Assert.AreEqual(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            CollectionAssert.AreEqual(a[i].labels, b[i].labels, $"labels of batch {i}");
            CollectionAssert.AreEqual(a[i].images, b[i].images, $"images of batch {i}");
        }
    }

    [TestMethod]
    public void ScalesToMinusOneOneAsFloat32NchwWithInt64Labels()
    {
        var data = new FakeDataset(6, channels: 3, resolution: 4);
        using var s = new ShuffledBatchSource(data, new BatchSourceOptions { Seed = 1 });
        Assert.AreEqual(3, s.Channels);
        Assert.AreEqual(4, s.Resolution);
        Assert.AreEqual(6, s.NumClasses);
        using var scope = NewDisposeScope();
        var (x, y) = s.Next(6);
        CollectionAssert.AreEqual(new long[] { 6, 3, 4, 4 }, x.shape);
        Assert.AreEqual(ScalarType.Float32, x.dtype);
        CollectionAssert.AreEqual(new long[] { 6 }, y.shape);
        Assert.AreEqual(ScalarType.Int64, y.dtype);
        var pixels = x.ToArray<float>();
        var labels = y.ToArray<long>();
        CollectionAssert.AreEquivalent(new long[] { 0, 1, 2, 3, 4, 5 }, labels); // one epoch: every item once
        for (int b = 0; b < 6; b++)
            for (int k = 0; k < 48; k++)
                Assert.AreEqual(Scaled(Pixel((int)labels[b], k)), pixels[b * 48 + k], $"item {labels[b]} byte {k}");
        Assert.AreEqual(-1f, Scaled(0));
        Assert.AreEqual(1f, Scaled(255));
    }

    [TestMethod]
    public void ScalingMatchesTorchvisionsToTensorAndNormalize()
    {
        // (x / 255 - 0.5) / 0.5 in float32, as ToTensor then Normalize((0.5,), (0.5,)).
        using var bytes = arange(256, ScalarType.Int64).to(ScalarType.Byte);
        using var f = bytes.to(ScalarType.Float32);
        using var div = f.div(255.0);
        using var sub = div.sub(0.5);
        using var expected = sub.div(0.5);
        var values = expected.ToArray<float>();
        for (int v = 0; v < 256; v++) Assert.AreEqual(values[v], Scaled((byte)v), $"byte {v}");

        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(1), IdxLabels(0), gzip: false);
        using var s = new ShuffledBatchSource(new IdxDataset(ip, lp), new BatchSourceOptions { PrefetchBatches = 0 });
        var (img, _) = Take(s, 1);
        Assert.AreEqual(32 * 32, img.Length);
        Assert.AreEqual(-1f, img[0]); // padding is black
        Assert.AreEqual(Scaled(Pixel(0, 0)), img[2 * 32 + 2]);
    }

    [TestMethod]
    public void DropsThePartialBatchAtTheEndOfAnEpoch()
    {
        var data = new FakeDataset(10);
        using var s = new ShuffledBatchSource(data, new BatchSourceOptions { Seed = 3 });
        var a = Take(s, 4).labels;
        var b = Take(s, 4).labels;
        Assert.AreEqual(0L, s.Epoch);
        Assert.AreEqual(8, s.Position);
        var c = Take(s, 4).labels; // two items left: they are dropped and this batch opens epoch 1
        Assert.AreEqual(1L, s.Epoch);
        Assert.AreEqual(4, s.Position);
        var epoch0 = new EpochShuffle(3, 0, 10, false).Order;
        var epoch1 = new EpochShuffle(3, 1, 10, false).Order;
        CollectionAssert.AreEqual(epoch0[..4].Select(i => (long)i).ToArray(), a);
        CollectionAssert.AreEqual(epoch0[4..8].Select(i => (long)i).ToArray(), b);
        CollectionAssert.AreEqual(epoch1[..4].Select(i => (long)i).ToArray(), c);
        CollectionAssert.AreNotEqual(epoch0, epoch1);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 10).ToArray(), epoch1);

        // Exactly filling an epoch moves to the next one.
        var d = Take(s, 6);
        Assert.AreEqual(2L, s.Epoch);
        Assert.AreEqual(0, s.Position);
        CollectionAssert.AreEqual(epoch1[4..].Select(i => (long)i).ToArray(), d.labels);
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameBatchesAndAnotherSeedOthers()
    {
        int[] sizes = [5, 7, 5, 7, 5, 7, 5, 7];
        using var a = new ShuffledBatchSource(new FakeDataset(23), new BatchSourceOptions { Seed = 42, HorizontalFlip = true });
        using var b = new ShuffledBatchSource(new FakeDataset(23), new BatchSourceOptions { Seed = 42, HorizontalFlip = true });
        using var c = new ShuffledBatchSource(new FakeDataset(23), new BatchSourceOptions { Seed = 43, HorizontalFlip = true });
        var sa = Sequence(a, sizes);
        AssertSame(sa, Sequence(b, sizes));
        var sc = Sequence(c, sizes);
        Assert.IsTrue(sa.Zip(sc).Any(p => !p.First.labels.SequenceEqual(p.Second.labels)), "another seed should shuffle differently");
    }

    [TestMethod]
    public void BackgroundPrefetchGivesTheSameBatchesAsSynchronousReads()
    {
        int[] sizes = [3, 8, 1, 16, 5, 5, 2, 9, 16, 16, 4, 7, 3, 12];
        var sync = new ShuffledBatchSource(new FakeDataset(37, 3, 5), new BatchSourceOptions { Seed = 5, HorizontalFlip = true, PrefetchBatches = 0 });
        var background = new ShuffledBatchSource(new FakeDataset(37, 3, 5), new BatchSourceOptions { Seed = 5, HorizontalFlip = true, PrefetchBatches = 2 });
        using (sync)
        using (background)
            AssertSame(Sequence(sync, sizes), Sequence(background, sizes));
    }

    [TestMethod]
    public void SaveStateAndLoadStateContinueWithTheIdenticalBatches()
    {
        int[] before = [4, 6, 4, 9], after = [6, 6, 3, 11, 6, 6];
        foreach (int prefetch in new[] { 0, 3 })
        {
            var options = new BatchSourceOptions { Seed = 9, HorizontalFlip = true, PrefetchBatches = prefetch };
            using var straight = new ShuffledBatchSource(new FakeDataset(19, 1, 4), options);
            Sequence(straight, before);
            string state = straight.SaveState();
            var expected = Sequence(straight, after);

            using var resumed = new ShuffledBatchSource(new FakeDataset(19, 1, 4), options);
            Take(resumed, 5); // somewhere else entirely
            resumed.LoadState(state);
            AssertSame(expected, Sequence(resumed, after));

            // Loading rewinds a running source too.
            straight.LoadState(state);
            AssertSame(expected, Sequence(straight, after));
        }
    }

    private static List<(float[] images, long[] labels)> Rows(List<(float[] images, long[] labels)> batches, int shard, int shards, int itemFloats) =>
        batches.Select(b =>
        {
            var rows = Enumerable.Range(0, b.labels.Length).Where(i => i % shards == shard).ToList();
            return (rows.SelectMany(i => b.images.Skip(i * itemFloats).Take(itemFloats)).ToArray(), rows.Select(i => b.labels[i]).ToArray());
        }).ToList();

    [TestMethod]
    public void ShardsOfAGlobalBatchAreItsStridedRows()
    {
        // Batch sizes that cross epoch ends (23 items; a partial batch at the end of an epoch is dropped for all shards).
        int[] sizes = [6, 9, 3, 6, 9, 6, 12, 3, 9, 15, 6];
        foreach (int prefetch in new[] { 0, 2 })
        {
            using var whole = new ShuffledBatchSource(new FakeDataset(23, 3, 4), new BatchSourceOptions { Seed = 8, HorizontalFlip = true, PrefetchBatches = prefetch });
            var expected = Sequence(whole, sizes);
            for (int shard = 0; shard < 3; shard++)
            {
                var options = new BatchSourceOptions { Seed = 8, HorizontalFlip = true, PrefetchBatches = prefetch, ShardCount = 3, ShardIndex = shard };
                using var part = new ShuffledBatchSource(new FakeDataset(23, 3, 4), options);
                Assert.AreEqual(3, part.ShardCount);
                AssertSame(Rows(expected, shard, 3, 3 * 16), Sequence(part, sizes));
                Assert.AreEqual(whole.Epoch, part.Epoch);
                Assert.AreEqual(whole.Position, part.Position);
                Assert.AreEqual(whole.SaveState(), part.SaveState(), "every shard saves the same position");
            }
        }
    }

    [TestMethod]
    public void AShardDecodesOnlyItsOwnItems()
    {
        var all = new FakeDataset(40);
        var half = new FakeDataset(40);
        using (var whole = new ShuffledBatchSource(all, new BatchSourceOptions { Seed = 1, PrefetchBatches = 0 }))
            Sequence(whole, 10, 10, 10, 10);
        using (var part = new ShuffledBatchSource(half, new BatchSourceOptions { Seed = 1, PrefetchBatches = 0, ShardCount = 2, ShardIndex = 1 }))
            Assert.AreEqual(20, Sequence(part, 10, 10, 10, 10).Sum(b => b.labels.Length));
        Assert.AreEqual(40, all.Reads);
        Assert.AreEqual(20, half.Reads);
    }

    [TestMethod]
    public void ShardingRejectsBatchesAndPositionsThatDoNotSplit()
    {
        using var part = new ShuffledBatchSource(new FakeDataset(20), new BatchSourceOptions { Seed = 1, ShardCount = 4, ShardIndex = 3 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => part.Next(6)).Message, "does not split into 4 equal shards");
        using var whole = new ShuffledBatchSource(new FakeDataset(20), new BatchSourceOptions { Seed = 1 });
        Take(whole, 6);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => part.LoadState(whole.SaveState())).Message, "does not split into 4 shards");
        Take(whole, 2);
        part.LoadState(whole.SaveState()); // position 8: fine
        CollectionAssert.AreEqual(Rows([Take(whole, 8)], 3, 4, 16)[0].labels, Take(part, 8).labels);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BatchSourceOptions { ShardCount = 2, ShardIndex = 2 }.Validate());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BatchSourceOptions { ShardCount = 0 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new ShuffledBatchSource(new FakeDataset(3), new BatchSourceOptions { ShardCount = 4 }));
    }

    [TestMethod]
    public void LoadStateRejectsAnotherDatasetSeedOrGarbage()
    {
        using var s = new ShuffledBatchSource(new FakeDataset(10), new BatchSourceOptions { Seed = 1 });
        string state = s.SaveState();
        using var other = new ShuffledBatchSource(new FakeDataset(11), new BatchSourceOptions { Seed = 1 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => other.LoadState(state)).Message, "10 items");
        using var seed = new ShuffledBatchSource(new FakeDataset(10), new BatchSourceOptions { Seed = 2 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => seed.LoadState(state)).Message, "seed 1");
        Assert.ThrowsExactly<ArgumentException>(() => s.LoadState("{not json"));
    }

    [TestMethod]
    public void HorizontalFlipMirrorsAboutHalfTheImages()
    {
        var data = new FakeDataset(40, 3, 5);
        using var s = new ShuffledBatchSource(data, new BatchSourceOptions { Seed = 11, HorizontalFlip = true });
        var (images, labels) = Take(s, 40);
        int flipped = 0;
        for (int b = 0; b < 40; b++)
        {
            int item = (int)labels[b];
            bool plain = true, mirrored = true;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 5; y++)
                    for (int x = 0; x < 5; x++)
                    {
                        float v = images[b * 75 + c * 25 + y * 5 + x];
                        plain &= v == Scaled(Pixel(item, c * 25 + y * 5 + x));
                        mirrored &= v == Scaled(Pixel(item, c * 25 + y * 5 + (4 - x)));
                    }
            Assert.IsTrue(plain || mirrored, $"item {item} is neither itself nor its mirror");
            if (mirrored) flipped++;
        }
        Assert.IsTrue(flipped is > 5 and < 35, $"{flipped} of 40 flipped");

        using var noFlip = new ShuffledBatchSource(data, new BatchSourceOptions { Seed = 11 });
        var (plainImages, plainLabels) = Take(noFlip, 40);
        CollectionAssert.AreEqual(labels, plainLabels); // flipping does not change the order
        for (int b = 0; b < 40; b++)
            for (int k = 0; k < 75; k++) Assert.AreEqual(Scaled(Pixel((int)plainLabels[b], k)), plainImages[b * 75 + k]);
    }

    [TestMethod]
    public void BatchTensorsBelongToTheCallersDisposeScope()
    {
        using var s = new ShuffledBatchSource(new FakeDataset(8));
        Tensor x, y;
        using (var scope = NewDisposeScope())
        {
            (x, y) = s.Next(4);
            Assert.AreEqual(2, scope.DisposablesCount);
        }
        Assert.IsTrue(x.IsInvalid && y.IsInvalid);
    }

    [TestMethod]
    public void ABatchLargerThanTheDatasetIsRejected()
    {
        using var s = new ShuffledBatchSource(new FakeDataset(8));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => s.Next(9));
        StringAssert.Contains(e.Message, "larger than the dataset (8 items)");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => s.Next(0));
    }

    [TestMethod]
    public void ABadImageFoundInTheBackgroundFailsNextNamingTheFile()
    {
        using var tmp = new TempFolder();
        for (int i = 0; i < 4; i++) WritePng(tmp[$"a/{i}.png"], GrayImage(4, 4, (y, x) => i), 1, 4, 4);
        var d = new ImageFolderDataset(tmp.Path, 4);
        File.WriteAllText(tmp["a/2.png"], "broken after opening");
        using var s = new ShuffledBatchSource(d, new BatchSourceOptions { Seed = 0 });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => s.Next(4));
        StringAssert.Contains(e.Message, tmp["a/2.png"]);
        Assert.ThrowsExactly<InvalidDataException>(() => s.Next(4)); // and keeps failing
    }

    [TestMethod]
    public void DisposeStopsTheBackgroundThread()
    {
        var data = new FakeDataset(50);
        var s = new ShuffledBatchSource(data, new BatchSourceOptions { PrefetchBatches = 2 });
        Take(s, 10);
        s.Dispose(); // joins the thread
        int reads = data.Reads;
        Thread.Sleep(50);
        Assert.AreEqual(reads, data.Reads);
        Assert.ThrowsExactly<ObjectDisposedException>(() => s.Next(1));
    }

    [TestMethod]
    public void ShufflesARealDatasetEndToEnd()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(12), IdxLabels(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1), gzip: true);
        var d = new IdxDataset(ip, lp);
        using var s = new ShuffledBatchSource(d, new BatchSourceOptions { Seed = 4 });
        var order = new EpochShuffle(4, 0, 12, false).Order;
        var (images, labels) = Take(s, 12);
        for (int b = 0; b < 12; b++)
        {
            Assert.AreEqual(d.GetLabel(order[b]), labels[b]);
            var expected = ReadItem(d, order[b], out _).Select(Scaled).ToArray();
            CollectionAssert.AreEqual(expected, images.AsSpan(b * 1024, 1024).ToArray());
        }
    }
}
