using BigGan.Training.IO;
using TorchSharp;
using static BigGan.Training.Tests.IO.IOTestUtil;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>Grids of batches, save_image and the float-to-byte mapping.</summary>
[TestClass]
public sealed class ImageGridTests : TempDirTest
{
    [TestMethod]
    public void ToUint8RoundsHalfToEvenAndClamps()
    {
        using var scope = NewDisposeScope();
        var u = ImageGrid.ToUint8(F([-1, -0.5f, 0, 1, 2, -3]), (-1, 1));
        Assert.AreEqual(ScalarType.Byte, u.dtype);
        // round((v + 1) * 127.5) clamped; 127.5 rounds half to even (128)
        Equal(new byte[] { 0, 64, 128, 255, 255, 0 }, u);
        Equal(new byte[] { 0, 128, 255 }, ImageGrid.ToUint8(F([0, 0.5f, 1]), (0, 1)));
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.ToUint8(F([0]), (1, 1)));
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.ToUint8(F([0]), (1, double.NaN)));
    }

    [TestMethod]
    public void MakeGridLaysOutRowsWithPadding()
    {
        using var scope = NewDisposeScope();
        var batch = Seq(ScalarType.Float32, 5, 1, 2, 3);
        var grid = ImageGrid.MakeGrid(batch, nrow: 3, padding: 1, padValue: 9);
        Shape([1, 7, 13], grid);
        var g = grid.data<float>().ToArray();
        var b = batch.data<float>().ToArray();
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 13; x++)
            {
                float expected = 9;
                int ry = (y - 1) % 3, rx = (x - 1) % 4, r = (y - 1) / 3, c = (x - 1) / 4;
                if (y >= 1 && x >= 1 && ry < 2 && rx < 3 && r * 3 + c < 5)
                    expected = b[(r * 3 + c) * 6 + ry * 3 + rx];
                Assert.AreEqual(expected, g[y * 13 + x], $"grid pixel ({y}, {x})");
            }
        Shape([1, 2 + 2 + 2, 5 * (3 + 2) + 2], ImageGrid.MakeGrid(batch, padding: 2), "nrow larger than the batch: one row");
        Shape([1, 2, 15], ImageGrid.MakeGrid(batch, padding: 0), "no padding");
        Assert.AreEqual(ScalarType.Byte, ImageGrid.MakeGrid(zeros([2, 3, 2, 2], ScalarType.Byte)).dtype);
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.MakeGrid(Seq(ScalarType.Float32, 1, 2, 3)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageGrid.MakeGrid(batch, nrow: 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageGrid.MakeGrid(batch, padding: -1));
    }

    [TestMethod]
    public void SaveImageWritesAPngGrid()
    {
        using var scope = NewDisposeScope();
        var batch = F([-1, 0, 1, 0.5f, -1, 0, 1, 0.5f, -1, 0, 1, 0.5f, 1, 1, 1, 1, -1, -1, -1, -1, 0, 0, 0, 0], 2, 3, 2, 2);
        var path = Path.Combine(_dir, "grid.png");
        ImageGrid.SaveImage(batch, path, padding: 1);
        var img = ImageCodec.Read(path);
        Shape([3, 4, 7], img);
        // image 0 at (1, 1): channel 0 = [[-1, 0], [1, 0.5]] -> [[0, 128], [255, 191]]
        Equal(new byte[] { 0, 128 }, img[0][1].narrow(0, 1, 2));
        Equal(new byte[] { 255, 191 }, img[0][2].narrow(0, 1, 2));
        // image 1 at (1, 4): channel 0 all 1 -> 255, channel 1 all -1 -> 0, channel 2 all 0 -> 128
        Equal(new byte[] { 255, 255 }, img[0][1].narrow(0, 4, 2));
        Equal(new byte[] { 0, 0 }, img[1][2].narrow(0, 4, 2));
        Equal(new byte[] { 128, 128 }, img[2][1].narrow(0, 4, 2));
        Assert.AreEqual(0, img[1][0][0].item<byte>(), "padding is the low end of the range");

        var ranged = Path.Combine(_dir, "ranged.png");
        ImageGrid.SaveImage(full([1, 1, 1, 1], 0.5f), ranged, padding: 1, valueRange: (0, 1));
        Equal(new byte[] { 0, 0, 0, 0, 128, 0, 0, 0, 0 }, ImageCodec.Read(ranged));

        var u8 = full([1, 1, 2, 2], 200, ScalarType.Byte);
        var upath = Path.Combine(_dir, "u8.png");
        ImageGrid.SaveImage(u8, upath, padding: 0);
        Equal(new byte[] { 200, 200, 200, 200 }, ImageCodec.Read(upath));
        ImageCodec.WritePng(u8[0], Path.Combine(_dir, "single.png"));
        Assert.IsEmpty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageGrid.SaveImage(u8, Path.Combine(_dir, "nope", "x.png")));
    }
}
