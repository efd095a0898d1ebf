using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class DatasetsTests
{
    [TestMethod]
    public void AFolderOfIdxFilesOpensTheAskedSplit()
    {
        using var tmp = new TempFolder();
        var folder = tmp["fashion"];
        WriteIdxPair(folder, "train", IdxImages(3), IdxLabels(1, 2, 3), gzip: true);
        WriteIdxPair(folder, "t10k", IdxImages(2), IdxLabels(4, 5), gzip: false);

        var train = (IdxDataset)Datasets.Open(folder);
        Assert.AreEqual(3, train.Count);
        Assert.AreEqual(32, train.Resolution);
        CollectionAssert.AreEqual(IdxDataset.FashionMnistClassNames.ToArray(), train.ClassNames.ToArray()); // "fashion" in the path
        var test = Datasets.Open(folder, options: new DatasetOptions { Split = DatasetSplit.Test });
        Assert.AreEqual(2, test.Count);
        Assert.AreEqual(5, test.GetLabel(1));
    }

    [TestMethod]
    public void AnIdxImagesFileFindsItsLabelsNextToIt()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp["digits"], "train", IdxImages(3), IdxLabels(7, 8, 9), gzip: false);
        Assert.AreEqual(lp, Datasets.LabelsFileFor(ip));
        var d = Datasets.Open(ip, 28);
        Assert.AreEqual(28, d.Resolution);
        Assert.AreEqual(9, d.GetLabel(2));
        CollectionAssert.AreEqual(IdxDataset.MnistClassNames.ToArray(), d.ClassNames.ToArray());

        // The labels may be compressed differently from the images.
        File.WriteAllBytes(lp + ".gz", Gzip(File.ReadAllBytes(lp)));
        File.Delete(lp);
        Assert.AreEqual(lp + ".gz", Datasets.LabelsFileFor(ip));
        File.Delete(lp + ".gz");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => Datasets.Open(ip));
        StringAssert.Contains(e.Message, lp);
    }

    [TestMethod]
    public void CifarFoldersAndFilesAreRecognised()
    {
        using var tmp = new TempFolder();
        var dir = Directory.CreateDirectory(tmp["cifar-10-batches-bin"]).FullName;
        File.WriteAllBytes(Path.Combine(dir, "data_batch_1.bin"), CifarRecords(0, [[1], [2]]));
        var d = Datasets.Open(tmp.Path);
        Assert.IsInstanceOfType<CifarDataset>(d);
        Assert.AreEqual(2, d.Count);
        Assert.AreEqual(3, d.Channels);
        Assert.AreEqual(2, Datasets.Open(Path.Combine(dir, "data_batch_1.bin")).Count);
    }

    [TestMethod]
    public void OtherFoldersAreImageFoldersThatNeedAResolution()
    {
        using var tmp = new TempFolder();
        WritePng(tmp["cats/1.png"], GrayImage(8, 8, (y, x) => 1), 1, 8, 8);
        var d = Datasets.Open(tmp.Path, 16);
        Assert.IsInstanceOfType<ImageFolderDataset>(d);
        Assert.AreEqual(16, d.Resolution);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Datasets.Open(tmp.Path)).Message, "needs a resolution");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => Datasets.Open(tmp["nothing"])).Message, tmp["nothing"]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Datasets.Open(tmp["cats/1.png"])).Message, "not a dataset file");
    }

    [TestMethod]
    public void AMissingPackagedDatasetSaysWhichPackageToInstall()
    {
        using var tmp = new TempFolder();
        var options = new DatasetOptions { DatasetsRoot = tmp.Path };
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => Datasets.Open("fashion-mnist", null, options));
        StringAssert.Contains(e.Message, "apt-get install dataset-fashion-mnist");
        StringAssert.Contains(e.Message, tmp["fashion-mnist"]);
        e = Assert.ThrowsExactly<FileNotFoundException>(() => Datasets.Open("mnist", null, options));
        StringAssert.Contains(e.Message, "Debian does not package MNIST");

        // A root that has them is used.
        WriteIdxPair(tmp["mnist"], "train", IdxImages(2), IdxLabels(0, 1), gzip: true);
        Assert.AreEqual(2, Datasets.Open("MNIST", null, options).Count);
    }

    [TestMethod]
    public void DebiansFashionMnistOpensByName()
    {
        const string folder = "/usr/share/datasets/fashion-mnist";
        if (!Directory.Exists(folder)) Assert.Inconclusive($"{folder} is absent (apt-get install dataset-fashion-mnist)");

        var train = Datasets.Open("fashion-mnist");
        Assert.AreEqual(60000, train.Count);
        Assert.AreEqual(10, train.NumClasses);
        Assert.AreEqual(1, train.Channels);
        Assert.AreEqual(32, train.Resolution);
        Assert.AreEqual("Ankle boot", train.ClassNames[9]);
        var first = ReadItem(train, 0, out int label);
        Assert.AreEqual(9, label);
        Assert.AreEqual(76247, first.Sum(b => b)); // the first training image, as numpy reads it; padding adds nothing
        CollectionAssert.AreEqual(new byte[] { 0, 0, 1, 4, 6, 7, 2, 0 }, first.AsSpan((14 + 2) * 32 + 2, 8).ToArray());

        var test = Datasets.Open("fashion-mnist", 32, new DatasetOptions { Split = DatasetSplit.Test });
        Assert.AreEqual(10000, test.Count);
        Assert.AreEqual(10, test.NumClasses);
        CollectionAssert.AreEqual(new[] { 9, 2, 1, 1, 6 }, Enumerable.Range(0, 5).Select(test.GetLabel).ToArray());
    }
}
