using System.IO.Compression;
using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

/// <summary>Data files whose headers lie: every loader stops at what the header allows and names the file and the limit.</summary>
[TestClass]
public sealed class HostileDataTests
{
    private static readonly byte[] Labels3 = [3, 0, 9];

    // A gzip file of the header followed by `zeros` zero bytes, streamed (the uncompressed bytes never exist in memory).
    private static void WriteGzipBomb(string path, byte[] header, long zeros)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Optimal);
        gz.Write(header);
        var block = new byte[1 << 20];
        for (long left = zeros; left > 0; left -= block.Length) gz.Write(block, 0, (int)Math.Min(block.Length, left));
    }

    [TestMethod]
    public void AGzipThatExpandsPastItsHeaderStopsAtTheAnnouncedSize()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(3), IdxLabels(Labels3), gzip: true);
        // 3 images of 28×28 announced, 200 MB of pixels follow: reading stops after the announced bytes and a bounded count of the rest
        WriteGzipBomb(ip, IdxHeader(0x803, 3, 28, 28), 200L << 20);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "the header announces 3 images of 28×28 (2352 bytes) but more than");
    }

    [TestMethod]
    public void AnnouncedSizesAreCheckedBeforeAllocating()
    {
        using var tmp = new TempFolder();
        var (ip, lp) = WriteIdxPair(tmp.Path, "train", IdxImages(3), IdxLabels(Labels3), gzip: true);

        // more than one array can hold (2^31 − 1 images of 28×28)
        File.WriteAllBytes(ip, Gzip(IdxHeader(0x803, int.MaxValue, 28, 28)));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, $"more than the limit of {IdxDataset.MaxDataBytes} bytes");

        // more than a small gzip file can expand to: 100000 images (78 MB) announced in a file of a few dozen bytes
        File.WriteAllBytes(ip, Gzip(IdxHeader(0x803, 100_000, 28, 28)));
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, ip);
        StringAssert.Contains(e.Message, "more than a gzip file of");

        // a raw file is compared with its length before reading
        File.WriteAllBytes(ip, IdxHeader(0x803, 100_000, 28, 28));
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(ip, lp));
        StringAssert.Contains(e.Message, "truncated: the header announces 100000 images of 28×28 (78400000 bytes) but only 0 bytes follow");
    }

    [TestMethod]
    public void ImagesOverThePixelLimitAreRefusedOrSkippedAndCounted()
    {
        using var tmp = new TempFolder();
        WritePng(tmp["a/small.png"], GrayImage(8, 8, (y, x) => x + y), 1, 8, 8);
        WritePng(tmp["a/large.png"], GrayImage(40, 50, (y, x) => x * y), 1, 40, 50);
        WritePng(tmp["b/small.png"], GrayImage(8, 8, (y, x) => x), 1, 8, 8);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 8, new DatasetOptions { MaxImagePixels = 1000 }));
        StringAssert.Contains(e.Message, tmp["a/large.png"]);
        StringAssert.Contains(e.Message, "50×40 = 2000 pixels, more than the limit of 1000");

        var skipping = new ImageFolderDataset(tmp.Path, 8, new DatasetOptions { MaxImagePixels = 1000, SkipBadImages = true });
        Assert.AreEqual(2, skipping.Count);
        Assert.AreEqual(1, skipping.SkippedImages);
        var said = skipping.DescribeSkipped();
        StringAssert.Contains(said, "skipped 1 of 3 images");
        StringAssert.Contains(said, tmp["a/large.png"]);

        Assert.AreEqual(3, new ImageFolderDataset(tmp.Path, 8, new DatasetOptions { MaxImagePixels = 2000 }).Count, "the limit is inclusive");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageFolderDataset(tmp.Path, 8, new DatasetOptions { MaxImagePixels = 0 }));
    }
}
