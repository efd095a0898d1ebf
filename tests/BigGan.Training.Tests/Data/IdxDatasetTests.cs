using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class IdxDatasetTests
{
    private static readonly byte[] Labels3 = [3, 0, 9];

    [TestMethod]
    public void PadsTwentyEightToThirtyTwoWithZeros()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(3), IdxLabels(Labels3), gzip: false);
        var d = new IdxDataset(ip, lp);
        Assert.AreEqual(3, d.Count);
        Assert.AreEqual(10, d.NumClasses);
        Assert.AreEqual(1, d.Channels);
        Assert.AreEqual(32, d.Resolution);
        Assert.AreEqual((28, 28), d.StoredSize);
        for (int i = 0; i < 3; i++)
        {
            var p = ReadItem(d, i, out int label);
            Assert.AreEqual(Labels3[i], label);
            Assert.AreEqual(Labels3[i], d.GetLabel(i));
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    bool inside = y is >= 2 and < 30 && x is >= 2 and < 30;
                    byte expected = inside ? Pixel(i, (y - 2) * 28 + (x - 2)) : (byte)0;
                    Assert.AreEqual(expected, p[y * 32 + x], $"image {i} pixel ({y}, {x})");
                }
        }
    }

    [TestMethod]
    public void GzipAndRawFilesReadTheSame()
    {
        using var tmp = new TempFolder();
        var raw = WriteIdxPair(tmp["raw"], "train", IdxImages(3), IdxLabels(Labels3), gzip: false);
        var gz = WriteIdxPair(tmp["gz"], "train", IdxImages(3), IdxLabels(Labels3), gzip: true);
        var a = new IdxDataset(raw.images, raw.labels);
        var b = new IdxDataset(gz.images, gz.labels);
        for (int i = 0; i < 3; i++)
        {
            CollectionAssert.AreEqual(ReadItem(a, i, out int la), ReadItem(b, i, out int lb));
            Assert.AreEqual(la, lb);
        }
    }

    [TestMethod]
    public void ResolutionTwentyEightKeepsTheStoredPixelsAndThreeChannelsRepeatThePlane()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(2), IdxLabels(1, 2), gzip: true);
        var d = new IdxDataset(ip, lp, resolution: 28, options: new DatasetOptions { Channels = 3 });
        Assert.AreEqual(28, d.Resolution);
        Assert.AreEqual(3, d.Channels);
        var p = ReadItem(d, 1, out _);
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 784; k++) Assert.AreEqual(Pixel(1, k), p[c * 784 + k]);
    }

    [TestMethod]
    public void OtherResolutionsResizeThePaddedImage()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(1), IdxLabels(4), gzip: false);
        var d = new IdxDataset(ip, lp, resolution: 16);
        var p = ReadItem(d, 0, out _);
        Assert.AreEqual(16 * 16, p.Length);
        // Area interpolation of the zero padding: the corner is the mean of a 2×2 block of zeros.
        Assert.AreEqual(0, p[0]);
        // Pixel (8, 8) averages padded pixels (16..17, 16..17) = stored (14..15, 14..15).
        int sum = Pixel(0, 14 * 28 + 14) + Pixel(0, 14 * 28 + 15) + Pixel(0, 15 * 28 + 14) + Pixel(0, 15 * 28 + 15);
        Assert.AreEqual(sum / 4.0, p[8 * 16 + 8], 1.0);
    }

    [TestMethod]
    public void WrongMagicNamesTheFile()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxLabels(Labels3), IdxLabels(Labels3), gzip: false);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "magic number 0x00000801, expected 0x00000803");
        StringAssert.Contains(e.Message, "labels file");

        File.WriteAllBytes(ip, IdxImages(3));
        File.WriteAllBytes(lp, [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 3, 1, 2, 3]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, lp);
        StringAssert.Contains(e.Message, "0x12345678");
    }

    [TestMethod]
    public void TruncatedFilesNameTheFile()
    {
        using var tmp = new TempFolder();
        var images = IdxImages(3);
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", images[..^10], IdxLabels(Labels3), gzip: false);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "truncated");

        // A header cut short.
        File.WriteAllBytes(ip, images[..9]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "truncated");

        // A gzip stream cut short.
        File.WriteAllBytes(ip, Gzip(images)[..200]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);

        // Missing labels.
        File.WriteAllBytes(ip, images);
        File.WriteAllBytes(lp, IdxLabels(Labels3)[..^1]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, lp);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void AMixOfSizesNamesTheFile()
    {
        using var tmp = new TempFolder();
        // The header says 28×28 but the data holds three 30×30 images.
        var images = IdxImages(3, 30, 30);
        IdxHeader(0x803, 3, 28, 28).CopyTo(images, 0);
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", images, IdxLabels(Labels3), gzip: true);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "a mix of image sizes");
        StringAssert.Contains(e.Message, "3 images of 28×28");
    }

    [TestMethod]
    public void ImageAndLabelCountsMustAgree()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(3), IdxLabels(1, 2), gzip: false);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, lp);
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "2 labels");
    }

    [TestMethod]
    public void LabelsOutOfRangeNameTheFile()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(3), IdxLabels(1, 10, 2), gzip: false);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, lp);
        StringAssert.Contains(e.Message, "label 10 of item 1 is out of range: expected 0..9");

        File.WriteAllBytes(lp, IdxLabels(1, 4, 2));
        var ok = new IdxDataset(ip, lp, options: new DatasetOptions { NumClasses = 5 });
        Assert.AreEqual(5, ok.NumClasses);
        CollectionAssert.AreEqual(new[] { "0", "1", "2", "3", "4" }, ok.ClassNames.ToArray());
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp, options: new DatasetOptions { NumClasses = 4 }));
        StringAssert.Contains(e.Message, "label 4 of item 1 is out of range: expected 0..3 (4 classes)");
    }

    [TestMethod]
    public void MissingFileIsNamed()
    {
        using var tmp = new TempFolder();
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => new IdxDataset(tmp["nope-images-idx3-ubyte"], tmp["nope-labels-idx1-ubyte"]));
        StringAssert.Contains(e.Message, tmp["nope-images-idx3-ubyte"]);
    }
}
