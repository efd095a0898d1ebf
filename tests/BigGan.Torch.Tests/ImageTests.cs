using static BigGan.Torch.Tests.TestUtil;
using static BigGan.Torch.torchvision;
using TF = BigGan.Torch.torchvision.transforms.functional;

namespace BigGan.Torch.Tests;

/// <summary>Image decode/encode/resize through OpenCV, grids and save_image. Non-PNG inputs were made by Pillow 9.4.</summary>
[TestClass]
public sealed class ImageTests
{
    // The 4x3 RGB pattern below (rows top to bottom), saved by PIL as BMP and as lossless WebP.
    private static readonly byte[,,] Pattern =
    {
        { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 255 } },
        { { 10, 20, 30 }, { 40, 50, 60 }, { 70, 80, 90 }, { 100, 110, 120 } },
        { { 0, 0, 0 }, { 128, 128, 128 }, { 250, 5, 128 }, { 1, 2, 3 } },
    };

    // img.save(buf, "BMP")
    private const string Bmp = "Qk1aAAAAAAAAADYAAAAoAAAABAAAAAMAAAABABgAAAAAACQAAADEDgAAxA4AAAAAAAAAAAAAAAAAgICAgAX6AwIBHhQKPDIoWlBGeG5kAAD/AP8A/wAA////";
    // img.save(buf, "WEBP", lossless=True)
    private const string WebP = "UklGRlYAAABXRUJQVlA4TEkAAAAvA4AAAF9gIGAZvIEAa/vcaphp2ybqVw5VgI78FLRtw3R/HB5/lp3/EChoCD8Murh24MOHr2t/ALIAE5iRjCOPWDrDjuh/YPcAAA==";
    // Image.new("RGB", (8, 8), (200, 100, 50)).save(buf, "JPEG", quality=95)
    private const string Jpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/2wBDAQICAgICAgUDAwUKBwYHCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgr/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDPooor+Vz+2D//2Q==";
    // Image.new("L", (8, 8), 77).save(buf, "JPEG", quality=95)
    private const string JpegGray = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APjOv//Z";
    // RGBA 2x1: (10, 20, 30, 0), (40, 50, 60, 255), saved as PNG
    private const string PngRgba = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGPkEpFjkJOT+w8AA68Bl/LMqe4AAAAASUVORK5CYII=";
    // gray + alpha ("LA") 2x1: (10, 0), (200, 255), saved as PNG
    private const string PngGrayAlpha = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAQAAABeK7cBAAAADUlEQVR4nGPgYjjxHwACvAHSNr7+SQAAAABJRU5ErkJggg==";
    // 16-bit gray 2x1: 65535, 25700 (= 257 * 100), saved as PNG
    private const string Png16 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABEAAAAACB2fwVAAAADUlEQVR4nGP4/z8lBQAIKgLHHsoGgAAAAABJRU5ErkJggg==";

    private string _dir = null!;

    [TestInitialize]
    public void MakeDir() => _dir = TempDir();

    [TestCleanup]
    public void RemoveDir() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    private static byte[] PatternChw()
    {
        var r = new byte[3 * 3 * 4];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++)
                    r[(c * 3 + y) * 4 + x] = Pattern[y, x, c];
        return r;
    }

    [TestMethod]
    public void PngRoundTripIsExactForGrayAndRgb()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        foreach (var c in new long[] { 1, 3 })
        {
            var img = randint(0, 256, [c, 5, 7], uint8, generator: g);
            var png = io.encode_png(img);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            var back = io.decode_image(png);
            Shape([c, 5, 7], back, $"{c} channels");
            Assert.AreEqual(uint8, back.dtype);
            CollectionAssert.AreEqual(img.data<byte>(), back.data<byte>(), $"{c} channels");
        }
        // the channel order on disk is RGB: a red image stays red
        var red = zeros([3, 2, 2], uint8);
        red[0].fill_(255);
        var decoded = io.decode_image(io.encode_png(red));
        Equal(new byte[] { 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0 }, decoded);
    }

    [TestMethod]
    public void DecodesBmpAndLosslessWebPExactly()
    {
        using var scope = NewDisposeScope();
        foreach (var (name, b64) in new[] { ("BMP", Bmp), ("WebP", WebP) })
        {
            var img = io.decode_image(Convert.FromBase64String(b64));
            Shape([3, 3, 4], img, name);
            CollectionAssert.AreEqual(PatternChw(), img.data<byte>(), name);
        }
    }

    [TestMethod]
    public void DecodesJpegColorAndGray()
    {
        using var scope = NewDisposeScope();
        var rgb = io.decode_image(Convert.FromBase64String(Jpeg));
        Shape([3, 8, 8], rgb);
        var means = rgb.to(float64).mean([1, 2]).data<double>();
        Assert.AreEqual(200, means[0], 3, "R");
        Assert.AreEqual(100, means[1], 3, "G");
        Assert.AreEqual(50, means[2], 3, "B");
        var gray = io.decode_image(Convert.FromBase64String(JpegGray));
        Shape([1, 8, 8], gray);
        Assert.AreEqual(77, gray.to(float64).mean().ToDouble(), 1);
    }

    [TestMethod]
    public void ReadModesAndOddPngKinds()
    {
        using var scope = NewDisposeScope();
        var bmp = Convert.FromBase64String(Bmp);
        var gray = io.decode_image(bmp, ImageReadMode.GRAY);
        Shape([1, 3, 4], gray);
        Assert.AreEqual(255, gray[0][0][3].item<byte>(), "white stays white");
        Assert.AreEqual(76, gray[0][0][0].item<byte>(), 1, "red's luma is 0.299 * 255");
        var gray3 = io.decode_image(io.encode_png(gray), ImageReadMode.RGB);
        Shape([3, 3, 4], gray3);
        CollectionAssert.AreEqual(gray3[0].data<byte>(), gray3[2].data<byte>(), "gray expanded to RGB has equal channels");

        var rgba = io.decode_image(Convert.FromBase64String(PngRgba));
        Shape([3, 1, 2], rgba, "alpha is dropped");
        Equal(new byte[] { 10, 40, 20, 50, 30, 60 }, rgba);
        var la = io.decode_image(Convert.FromBase64String(PngGrayAlpha));
        Assert.AreEqual(3L, la.size(0), "gray + alpha decodes as RGB without the alpha");
        Equal(new byte[] { 10, 200, 10, 200, 10, 200 }, la);
        var deep = io.decode_image(Convert.FromBase64String(Png16));
        Shape([1, 1, 2], deep);
        Equal(new byte[] { 255, 100 }, deep, "16-bit samples scale to 8 bits");
    }

    [TestMethod]
    public void ResizeSizesAndValues()
    {
        using var scope = NewDisposeScope();
        var img = tensor(new byte[] { 1, 2, 3, 4, 10, 20, 30, 40 }, [2, 2, 2]);
        var pixelStack = tensor(new byte[] { 0, 40, 80, 120, 160, 200, 240, 255, 8, 16, 24, 32, 40, 48, 56, 64 }, [1, 4, 4]);

        var near = TF.resize(img.narrow(0, 0, 1).contiguous(), 4, 4, TF.InterpolationMode.NEAREST);
        Shape([1, 4, 4], near, "one channel stays one channel");
        Equal(new byte[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, near);

        var constant = full([3, 5, 7], 123, uint8);
        var bil = TF.resize(constant, 11, 3);
        Shape([3, 11, 3], bil);
        Assert.IsTrue(bil.eq(123).all().item<bool>(), "bilinear keeps a constant image constant");

        var area = TF.resize(pixelStack, 2, 2, TF.InterpolationMode.AREA);
        // 2x2 block means: (0+40+160+200)/4, (80+120+240+255)/4, (8+16+40+48)/4, (24+32+56+64)/4
        Equal(new byte[] { 100, 174, 28, 44 }, area);

        var f = TF.resize(pixelStack.to(float32), 2, 2, TF.InterpolationMode.AREA);
        Assert.AreEqual(float32, f.dtype);
        Close([100, 173.75, 28, 44], [1, 2, 2], f, 1e-6);

        var rgb = TF.resize(img.repeat(2, 1, 1).narrow(0, 0, 3).contiguous(), 6, 2, TF.InterpolationMode.BILINEAR);
        Shape([3, 6, 2], rgb);

        Assert.ThrowsExactly<ArgumentException>(() => TF.resize(img, 0, 3));
        Assert.ThrowsExactly<ArgumentException>(() => TF.resize(img.to(int64), 3, 3));
        Assert.ThrowsExactly<ArgumentException>(() => TF.resize(img, 3, 3, (TF.InterpolationMode)7));
        Assert.ThrowsExactly<ArgumentException>(() => TF.resize(zeros([1, 2, 2, 2], uint8), 3, 3), "4-d is not an image");
    }

    [TestMethod]
    public void CenterCropAndToUint8()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float32, 1, 4, 5);
        Close([6, 7, 8, 11, 12, 13], [1, 2, 3], TF.center_crop(x, 2, 3));
        Assert.ThrowsExactly<ArgumentException>(() => TF.center_crop(x, 5, 1));
        var u = utils.to_uint8(F([-1, -0.5f, 0, 1, 2, -3]), (-1, 1));
        Assert.AreEqual(uint8, u.dtype);
        // round((v + 1) * 127.5) clamped; 127.5 rounds half to even (128)
        Equal(new byte[] { 0, 64, 128, 255, 255, 0 }, u);
    }

    [TestMethod]
    public void MakeGridLaysOutRowsWithPadding()
    {
        using var scope = NewDisposeScope();
        var batch = Seq(float32, 5, 1, 2, 3);
        var grid = utils.make_grid(batch, nrow: 3, padding: 1, pad_value: 9);
        Shape([1, 7, 13], grid);
        var g = grid.data<float>();
        var b = batch.data<float>();
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 13; x++)
            {
                float expected = 9;
                int ry = (y - 1) % 3, rx = (x - 1) % 4, r = (y - 1) / 3, c = (x - 1) / 4;
                if (y >= 1 && x >= 1 && ry < 2 && rx < 3 && r * 3 + c < 5)
                    expected = b[(r * 3 + c) * 6 + ry * 3 + rx];
                Assert.AreEqual(expected, g[y * 13 + x], $"grid pixel ({y}, {x})");
            }
        Shape([1, 2 + 2 + 2, 5 * (3 + 2) + 2], utils.make_grid(batch, padding: 2), "nrow larger than the batch: one row");
        Assert.ThrowsExactly<ArgumentException>(() => utils.make_grid(Seq(float32, 1, 2, 3)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => utils.make_grid(batch, nrow: 0));
    }

    [TestMethod]
    public void SaveImageWritesAPngGrid()
    {
        using var scope = NewDisposeScope();
        var batch = F([-1, 0, 1, 0.5f, -1, 0, 1, 0.5f, -1, 0, 1, 0.5f, 1, 1, 1, 1, -1, -1, -1, -1, 0, 0, 0, 0], 2, 3, 2, 2);
        var path = Path.Combine(_dir, "grid.png");
        utils.save_image(batch, path, padding: 1);
        var img = io.read_image(path);
        Shape([3, 4, 7], img);
        // image 0 at (1, 1): channel 0 = [[-1, 0], [1, 0.5]] -> [[0, 128], [255, 191]]
        Equal(new byte[] { 0, 128 }, img[0][1].narrow(0, 1, 2).contiguous());
        Equal(new byte[] { 255, 191 }, img[0][2].narrow(0, 1, 2).contiguous());
        // image 1 at (1, 4): channel 0 all 1 -> 255, channel 1 all -1 -> 0, channel 2 all 0 -> 128
        Equal(new byte[] { 255, 255 }, img[0][1].narrow(0, 4, 2).contiguous());
        Equal(new byte[] { 0, 0 }, img[1][2].narrow(0, 4, 2).contiguous());
        Equal(new byte[] { 128, 128 }, img[2][1].narrow(0, 4, 2).contiguous());
        Assert.AreEqual(0, img[1][0][0].item<byte>(), "padding is the low end of the range");

        var u8 = full([1, 1, 2, 2], 200, uint8);
        var upath = Path.Combine(_dir, "u8.png");
        utils.save_image(u8, upath, padding: 0);
        Equal(new byte[] { 200, 200, 200, 200 }, io.read_image(upath));
        io.write_png(u8[0], Path.Combine(_dir, "single.png"));
        Assert.AreEqual(0, Directory.GetFiles(_dir, "*.tmp").Length);
    }

    [TestMethod]
    public void BadImagesFailWithClearExceptions()
    {
        using var scope = NewDisposeScope();
        var random = new byte[200];
        new Random(5).NextBytes(random);
        var e = Assert.ThrowsExactly<ArgumentException>(() => io.decode_image(random));
        StringAssert.Contains(e.Message, "not a decodable image");
        Assert.ThrowsExactly<ArgumentException>(() => io.decode_image([]));

        var junk = Path.Combine(_dir, "junk.png");
        File.WriteAllBytes(junk, random);
        var je = Assert.ThrowsExactly<InvalidDataException>(() => io.read_image(junk));
        StringAssert.Contains(je.Message, junk);
        StringAssert.Contains(je.Message, "not a decodable image");

        using var g = new Generator(2);
        var png = io.encode_png(randint(0, 256, [3, 32, 32], uint8, generator: g));
        foreach (var keep in new[] { png.Length / 2, 40, 8 })
        {
            var cut = Path.Combine(_dir, $"truncated{keep}.png");
            File.WriteAllBytes(cut, png[..keep]);
            var te = Assert.ThrowsExactly<InvalidDataException>(() => io.read_image(cut), $"kept {keep} bytes");
            StringAssert.Contains(te.Message, cut);
        }
        Assert.ThrowsExactly<FileNotFoundException>(() => io.read_image(Path.Combine(_dir, "none.png")));

        Assert.ThrowsExactly<ArgumentException>(() => io.encode_png(zeros([3, 2, 2])), "float");
        Assert.ThrowsExactly<ArgumentException>(() => io.encode_png(zeros([1, 3, 2, 2], uint8)), "4-d");
        Assert.ThrowsExactly<ArgumentException>(() => io.encode_png(zeros([2, 2, 2], uint8)), "2 channels");
        Assert.ThrowsExactly<ArgumentException>(() => io.encode_png(zeros([3, 0, 2], uint8)), "empty");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => io.write_png(zeros([1, 2, 2], uint8), Path.Combine(_dir, "nope", "x.png")));
    }
}
