using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class CifarDatasetTests
{
    [TestMethod]
    public void ReadsCifar10BatchesInOrderWithTheirMetaNames()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["data_batch_1.bin"], CifarRecords(0, [[6], [9]]));
        File.WriteAllBytes(tmp["data_batch_2.bin"], CifarRecords(2, [[0]]));
        File.WriteAllBytes(tmp["test_batch.bin"], CifarRecords(100, [[3]]));
        File.WriteAllLines(tmp["batches.meta.txt"], ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", ""]);

        var d = CifarDataset.FromFolder(tmp.Path);
        Assert.AreEqual(CifarVariant.Cifar10, d.Variant);
        Assert.AreEqual(3, d.Count);
        Assert.AreEqual(10, d.NumClasses);
        Assert.AreEqual(3, d.Channels);
        Assert.AreEqual(32, d.Resolution);
        CollectionAssert.AreEqual(new[] { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" }, d.ClassNames.ToArray());
        int[] labels = [6, 9, 0];
        for (int i = 0; i < 3; i++)
        {
            var p = ReadItem(d, i, out int label);
            Assert.AreEqual(labels[i], label);
            for (int k = 0; k < 3072; k++) Assert.AreEqual(Pixel(i, k), p[k]); // the stored planes are already CHW
        }

        var test = CifarDataset.FromFolder(tmp.Path, options: new DatasetOptions { Split = DatasetSplit.Test });
        Assert.AreEqual(1, test.Count);
        Assert.AreEqual(3, test.GetLabel(0));
    }

    [TestMethod]
    public void Cifar100UsesTheFineLabel()
    {
        using var tmp = new TempFolder();
        var dir = Directory.CreateDirectory(tmp["cifar-100-binary"]).FullName;
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), CifarRecords(0, [[19, 99], [0, 42]]));
        var d = CifarDataset.FromFolder(tmp.Path);
        Assert.AreEqual(CifarVariant.Cifar100, d.Variant);
        Assert.AreEqual(100, d.NumClasses);
        Assert.AreEqual(99, d.GetLabel(0));
        Assert.AreEqual(42, d.GetLabel(1));
        Assert.AreEqual("42", d.ClassNames[42]);
        var p = ReadItem(d, 1, out _);
        Assert.AreEqual(Pixel(1, 0), p[0]);
        Assert.AreEqual(Pixel(1, 3071), p[3071]);
    }

    [TestMethod]
    public void GrayscaleUsesBt601Luma()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["data_batch_1.bin"], CifarRecords(0, [[1]]));
        var d = new CifarDataset([tmp["data_batch_1.bin"]], CifarVariant.Cifar10, options: new DatasetOptions { Channels = 1 });
        Assert.AreEqual(1, d.Channels);
        var p = ReadItem(d, 0, out _);
        for (int k = 0; k < 1024; k += 97)
        {
            int r = Pixel(0, k), g = Pixel(0, 1024 + k), b = Pixel(0, 2048 + k);
            Assert.AreEqual((byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b, MidpointRounding.AwayFromZero), p[k]);
        }
    }

    [TestMethod]
    public void TruncatedRecordNamesTheFile()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["data_batch_1.bin"], CifarRecords(0, [[1]]));
        File.WriteAllBytes(tmp["data_batch_2.bin"], CifarRecords(0, [[1], [2]])[..^5]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CifarDataset.FromFolder(tmp.Path));
        StringAssert.Contains(e.Message, tmp["data_batch_2.bin"]);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void LabelOutOfRangeNamesTheFile()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["data_batch_1.bin"], CifarRecords(0, [[1], [10]]));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CifarDataset.FromFolder(tmp.Path));
        StringAssert.Contains(e.Message, tmp["data_batch_1.bin"]);
        StringAssert.Contains(e.Message, "label 10 of record 1 is out of range");
    }

    [TestMethod]
    public void MissingSplitSaysWhatWasExpected()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["data_batch_1.bin"], CifarRecords(0, [[1]]));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => CifarDataset.FromFolder(tmp.Path, options: new DatasetOptions { Split = DatasetSplit.Test }));
        StringAssert.Contains(e.Message, "test_batch.bin");
    }
}
