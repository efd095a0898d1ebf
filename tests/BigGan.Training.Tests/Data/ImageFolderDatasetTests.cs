using BigGan.Training.Data;
using static BigGan.Training.Tests.Data.DataFixtures;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class ImageFolderDatasetTests
{
    private static int Blocks(int y, int x) => ((y / 2) * 16 + (x / 2) * 3) % 256;

    private static void WriteGray(string path, int height, int width, Func<int, int, int> f) =>
        WritePng(path, GrayImage(height, width, f), 1, height, width);

    [TestMethod]
    public void ClassesAreSubfoldersSortedOrdinally()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["b_cat/2.png"], 8, 8, (y, x) => 1);
        WriteGray(tmp["b_cat/1.png"], 8, 8, (y, x) => 2);
        WriteGray(tmp["a_dog/x.png"], 8, 8, (y, x) => 3);
        WriteGray(tmp["C_x/deeper/y.png"], 8, 8, (y, x) => 4); // searched recursively
        File.WriteAllText(tmp["a_dog/notes.txt"], "not an image");
        Directory.CreateDirectory(tmp[".hidden"]);

        var d = new ImageFolderDataset(tmp.Path, 8);
        CollectionAssert.AreEqual(new[] { "C_x", "a_dog", "b_cat" }, d.ClassNames.ToArray());
        Assert.AreEqual(4, d.Count);
        Assert.AreEqual(3, d.NumClasses);
        Assert.AreEqual(1, d.Channels);
        int[] labels = [0, 1, 2, 2];
        int[] values = [4, 3, 2, 1]; // files sorted by path inside a class: 1.png before 2.png
        for (int i = 0; i < 4; i++)
        {
            var p = ReadItem(d, i, out int label);
            Assert.AreEqual(labels[i], label);
            Assert.IsTrue(p.All(v => v == values[i]), $"item {i}");
        }
    }

    [TestMethod]
    public void CenterCropsTheShortSideAndResizesByArea()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["a/tall.png"], 40, 20, Blocks);
        WriteGray(tmp["a/wide.png"], 20, 40, Blocks);
        WriteGray(tmp["a/zsmall.png"], 4, 4, Blocks);

        var d = new ImageFolderDataset(tmp.Path, 10);
        var tall = ReadItem(d, 0, out _);
        var wide = ReadItem(d, 1, out _);
        Assert.AreEqual(100, tall.Length);
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 10; x++)
            {
                // The central 20×20 square (rows 10..29 of the tall one, columns 10..29 of the wide one), halved:
                // each output pixel is the mean of a uniform 2×2 block.
                Assert.AreEqual(Blocks(10 + 2 * y, 2 * x), tall[y * 10 + x], $"tall ({y}, {x})");
                Assert.AreEqual(Blocks(2 * y, 10 + 2 * x), wide[y * 10 + x], $"wide ({y}, {x})");
            }
        Assert.AreEqual(100, ReadItem(d, 2, out _).Length); // enlarged 4×4 → 10×10

        // At the crop's own size the pixels are the crop's.
        var same = new ImageFolderDataset(tmp.Path, 20);
        var crop = ReadItem(same, 0, out _);
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 20; x++) Assert.AreEqual(Blocks(10 + y, x), crop[y * 20 + x]);
    }

    [TestMethod]
    public void GrayscaleOnlyWhenEveryImageIsGray()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["a/1.png"], 6, 6, (y, x) => 7 * y + x);
        // Three equal planes count as gray.
        var grayRgb = Enumerable.Repeat(GrayImage(6, 6, (y, x) => 50), 3).SelectMany(p => p).ToArray();
        WritePng(tmp["b/1.png"], grayRgb, 3, 6, 6);
        var gray = new ImageFolderDataset(tmp.Path, 6);
        Assert.AreEqual(1, gray.Channels);
        Assert.IsTrue(ReadItem(gray, 1, out _).All(v => v == 50));

        var forced = new ImageFolderDataset(tmp.Path, 6, new DatasetOptions { Channels = 3 });
        Assert.AreEqual(3, forced.Channels);
        var p3 = ReadItem(forced, 0, out _);
        for (int k = 0; k < 36; k++)
        {
            Assert.AreEqual(7 * (k / 6) + k % 6, p3[k]);
            Assert.AreEqual(p3[k], p3[36 + k]);
            Assert.AreEqual(p3[k], p3[72 + k]);
        }

        // One color image makes the dataset RGB; channels stay in R, G, B order.
        byte[] color = [.. Enumerable.Repeat((byte)10, 36), .. Enumerable.Repeat((byte)20, 36), .. Enumerable.Repeat((byte)30, 36)];
        WritePng(tmp["b/2.png"], color, 3, 6, 6);
        var rgb = new ImageFolderDataset(tmp.Path, 6);
        Assert.AreEqual(3, rgb.Channels);
        var c = ReadItem(rgb, 2, out _);
        Assert.IsTrue(c[..36].All(v => v == 10) && c[36..72].All(v => v == 20) && c[72..].All(v => v == 30));
    }

    [TestMethod]
    public void CacheKeepsDecodedImagesAndLazyReadsNameTheFile()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["a/1.png"], 8, 8, (y, x) => y * 8 + x);
        WriteGray(tmp["b/1.png"], 8, 8, (y, x) => 200);

        var cached = new ImageFolderDataset(tmp.Path, 8, new DatasetOptions { CacheInMemory = true });
        var lazy = new ImageFolderDataset(tmp.Path, 8);
        var first = ReadItem(cached, 0, out _);
        File.Delete(tmp["a/1.png"]);
        CollectionAssert.AreEqual(first, ReadItem(cached, 0, out _)); // from memory
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => ReadItem(lazy, 0, out _)); // decoded per read
        StringAssert.Contains(e.Message, tmp["a/1.png"]);
    }

    [TestMethod]
    public void EmptyClassFolderNamesTheFolder()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["a/1.png"], 4, 4, (y, x) => 1);
        Directory.CreateDirectory(tmp["b"]);
        File.WriteAllText(tmp["b/readme.txt"], "no images here");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 4));
        StringAssert.Contains(e.Message, tmp["b"]);
        StringAssert.Contains(e.Message, "holds no images");
    }

    [TestMethod]
    public void FolderWithoutClassSubfoldersNamesTheFolder()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["1.png"], 4, 4, (y, x) => 1);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 4));
        StringAssert.Contains(e.Message, tmp.Path);
        StringAssert.Contains(e.Message, "no class subfolders");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => new ImageFolderDataset(tmp["missing"], 4));
    }

    [TestMethod]
    public void UndecodableImageFailsNamingTheFileOrIsSkippedAndCounted()
    {
        using var tmp = new TempFolder();
        WriteGray(tmp["a/1.png"], 4, 4, (y, x) => 1);
        WriteGray(tmp["b/1.png"], 4, 4, (y, x) => 2);
        File.WriteAllText(tmp["b/2.png"], "this is not a PNG");
        var png = File.ReadAllBytes(tmp["a/1.png"]);
        File.WriteAllBytes(tmp["a/0.jpg"], []); // empty file

        var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 4));
        StringAssert.Contains(e.Message, tmp["a/0.jpg"]);
        StringAssert.Contains(e.Message, "and 1 more undecodable image");
        StringAssert.Contains(e.Message, "SkipBadImages");

        File.Delete(tmp["a/0.jpg"]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 4));
        StringAssert.Contains(e.Message, tmp["b/2.png"]);
        StringAssert.Contains(e.Message, "not a decodable image");

        var d = new ImageFolderDataset(tmp.Path, 4, new DatasetOptions { SkipBadImages = true });
        Assert.AreEqual(1, d.SkippedImages);
        CollectionAssert.AreEqual(new[] { tmp["b/2.png"] }, d.SkippedFiles.ToArray());
        Assert.AreEqual(2, d.Count);
        Assert.AreEqual(1, d.GetLabel(1));

        // A class left with nothing decodable still fails.
        File.WriteAllBytes(tmp["b/1.png"], png[..(png.Length / 2)]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageFolderDataset(tmp.Path, 4, new DatasetOptions { SkipBadImages = true }));
        StringAssert.Contains(e.Message, tmp["b"]);
        StringAssert.Contains(e.Message, "no decodable images (2 skipped)");
    }
}
