using BigGan.Training.IO;
using TorchSharp;
using static BigGan.Training.Tests.IO.IOTestUtil;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>Image decode and PNG encode through SkiaSharp: formats, read modes, odd PNG kinds, bad and hostile input.</summary>
[TestClass]
public sealed class ImageTests : TempDirTest
{
    // The 4x3 RGB pattern below (rows top to bottom), saved by Pillow 9.4 as BMP and as lossless WebP.
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
            var img = randint(0, 256, [c, 5, 7], ScalarType.Byte, generator: g);
            var png = ImageCodec.EncodePng(img);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.AreEqual(c == 1 ? 0 : 2, png[25], "PNG color type: gray or RGB, 8 bits, no alpha");
            Assert.AreEqual(8, png[24]);
            var back = ImageCodec.Decode(png);
            Shape([c, 5, 7], back, $"{c} channels");
            Assert.AreEqual(ScalarType.Byte, back.dtype);
            CollectionAssert.AreEqual(Bytes(img), Bytes(back), $"{c} channels");
        }
        // the channel order on disk is RGB: a red image stays red
        var red = zeros([3, 2, 2], ScalarType.Byte);
        red[0].fill_(255);
        Equal(new byte[] { 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0 }, ImageCodec.Decode(ImageCodec.EncodePng(red)));
        // views encode as their values
        var wide = Seq(ScalarType.Byte, 3, 4, 6);
        var view = wide.narrow(2, 1, 3).transpose(1, 2);
        Equal(Bytes(view), ImageCodec.Decode(ImageCodec.EncodePng(view)));
    }

    [TestMethod]
    public void DecodesBmpAndLosslessWebPExactly()
    {
        using var scope = NewDisposeScope();
        foreach (var (name, b64) in new[] { ("BMP", Bmp), ("WebP", WebP) })
        {
            var img = ImageCodec.Decode(Convert.FromBase64String(b64));
            Shape([3, 3, 4], img, name);
            CollectionAssert.AreEqual(PatternChw(), Bytes(img), name);
        }
    }

    [TestMethod]
    public void DecodesJpegColorAndGray()
    {
        using var scope = NewDisposeScope();
        var rgb = ImageCodec.Decode(Convert.FromBase64String(Jpeg));
        Shape([3, 8, 8], rgb);
        var means = rgb.to(ScalarType.Float64).mean([1, 2]).data<double>().ToArray();
        Assert.AreEqual(200, means[0], 3, "R");
        Assert.AreEqual(100, means[1], 3, "G");
        Assert.AreEqual(50, means[2], 3, "B");
        var gray = ImageCodec.Decode(Convert.FromBase64String(JpegGray));
        Shape([1, 8, 8], gray);
        Assert.AreEqual(77, gray.to(ScalarType.Float64).mean().item<double>(), 1);
        Shape([3, 8, 8], ImageCodec.Decode(Convert.FromBase64String(JpegGray), ImageReadMode.Rgb));
    }

    [TestMethod]
    public void ReadModesConvertWithOpenCvsLuma()
    {
        using var scope = NewDisposeScope();
        var bmp = Convert.FromBase64String(Bmp);
        var gray = ImageCodec.Decode(bmp, ImageReadMode.Gray);
        Shape([1, 3, 4], gray);
        // (4899 R + 9617 G + 1868 B + 8192) >> 14, per pixel of the pattern
        var expected = new byte[12];
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                expected[y * 4 + x] = (byte)((4899 * Pattern[y, x, 0] + 9617 * Pattern[y, x, 1] + 1868 * Pattern[y, x, 2] + 8192) >> 14);
        Equal(expected, gray);
        Assert.AreEqual(255, expected[3], "white stays white");
        Assert.AreEqual(76, expected[0], "red's luma is 0.299 * 255");
        var gray3 = ImageCodec.Decode(ImageCodec.EncodePng(gray), ImageReadMode.Rgb);
        Shape([3, 3, 4], gray3);
        CollectionAssert.AreEqual(Bytes(gray3[0]), Bytes(gray3[2]), "gray expanded to RGB has equal channels");
        Equal(expected, gray3[1]);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageCodec.Decode(bmp, (ImageReadMode)2));
    }

    [TestMethod]
    public void OddPngKindsDecodeAsTheOpenCvVersionDid()
    {
        using var scope = NewDisposeScope();
        // RGBA: alpha is dropped, colors are not premultiplied (a transparent pixel keeps its color)
        var rgba = PngBuilder.Build(2, 1, 8, PngBuilder.Rgba, [[10, 20, 30, 0, 40, 50, 60, 255]]);
        var img = ImageCodec.Decode(rgba);
        Shape([3, 1, 2], img, "alpha is dropped");
        Equal(new byte[] { 10, 40, 20, 50, 30, 60 }, img);
        Equal(new byte[] { 18, 48 }, ImageCodec.Decode(rgba, ImageReadMode.Gray), "luma of (10, 20, 30) and (40, 50, 60)");

        // gray + alpha: three equal channels, as OpenCV's IMREAD_UNCHANGED path gave
        var la = ImageCodec.Decode(PngBuilder.Build(2, 1, 8, PngBuilder.GrayAlpha, [[10, 0, 200, 255]]));
        Shape([3, 1, 2], la);
        Equal(new byte[] { 10, 200, 10, 200, 10, 200 }, la);
        Equal(new byte[] { 10, 200 }, ImageCodec.Decode(PngBuilder.Build(2, 1, 8, PngBuilder.GrayAlpha, [[10, 0, 200, 255]]), ImageReadMode.Gray));

        // 16-bit gray: one channel, round(v / 257) (0x00FF is 1, not its high byte 0)
        ushort[] samples = [65535, 25700, 255, 128, 32896, 33024, 0, 1000];
        var deep = ImageCodec.Decode(PngBuilder.Build(samples.Length, 1, 16, PngBuilder.Gray, [PngBuilder.Row16(samples)]));
        Shape([1, 1, samples.Length], deep);
        Equal(samples.Select(v => (byte)Math.Round(v / 257.0, MidpointRounding.ToEven)).ToArray(), deep, "16-bit samples scale to 8 bits");

        // 16-bit RGB and 16-bit gray + alpha
        var rgb16 = ImageCodec.Decode(PngBuilder.Build(1, 1, 16, PngBuilder.Rgb, [PngBuilder.Row16(65535, 257 * 100, 255)]));
        Equal(new byte[] { 255, 100, 1 }, rgb16);
        var la16 = ImageCodec.Decode(PngBuilder.Build(1, 1, 16, PngBuilder.GrayAlpha, [PngBuilder.Row16(257 * 7, 0)]));
        Equal(new byte[] { 7, 7, 7 }, la16);

        // 1-bit gray and a palette with transparency
        Equal(new byte[] { 255, 0, 255, 0 }, ImageCodec.Decode(PngBuilder.Build(4, 1, 1, PngBuilder.Gray, [[0b1010_0000]])));
        var pal = ImageCodec.Decode(PngBuilder.Build(2, 1, 8, PngBuilder.Palette, [[1, 0]], palette: [1, 2, 3, 40, 50, 60], transparency: [0, 128]));
        Shape([3, 1, 2], pal);
        Equal(new byte[] { 40, 1, 50, 2, 60, 3 }, pal);
    }

    [TestMethod]
    public void SixteenBitPngsDecodeExactlyWhateverTheirFiltersAndInterlacing()
    {
        using var scope = NewDisposeScope();
        var random = new Random(16);
        foreach (var (colorType, channels) in new[] { (PngBuilder.Gray, 1), (PngBuilder.Rgb, 3), (PngBuilder.GrayAlpha, 2), (PngBuilder.Rgba, 4) })
        {
            const int width = 11, height = 9; // not multiples of 8: partial Adam7 passes
            var samples = new ushort[height, width * channels];
            var rows = new byte[height][];
            for (int y = 0; y < height; y++)
            {
                var row = new ushort[width * channels];
                for (int i = 0; i < row.Length; i++) row[i] = samples[y, i] = (ushort)random.Next(65536);
                rows[y] = PngBuilder.Row16(row);
            }
            int outChannels = channels == 1 ? 1 : 3;
            var expected = new byte[outChannels * height * width];
            for (int c = 0; c < outChannels; c++)
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        expected[(c * height + y) * width + x] = (byte)Math.Round(samples[y, x * channels + (channels <= 2 ? 0 : c)] / 257.0);
            foreach (var interlaced in new[] { false, true })
                foreach (var filter in new[] { 0, 1, 2, 3, 4, -1 })
                {
                    var what = $"color type {colorType}, filter {filter}, interlaced {interlaced}";
                    var png = PngBuilder.Build(width, height, 16, colorType, rows, filter: filter, interlaced: interlaced);
                    var img = ImageCodec.Decode(png);
                    Shape([outChannels, height, width], img, what);
                    CollectionAssert.AreEqual(expected, Bytes(img), what);
                }
        }
        // damaged 16-bit files: a bad CRC, a cut inside IDAT, no IEND, a bad row filter
        var good = PngBuilder.Build(3, 2, 16, PngBuilder.Gray, [PngBuilder.Row16(1, 2, 3), PngBuilder.Row16(4, 5, 6)]);
        var badCrc = good.ToArray();
        badCrc[^20] ^= 1;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(badCrc)).Message, "bad CRC");
        Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(good[..^15]));
        Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(good[..^12]));
        var short16 = PngBuilder.Build(3, 4, 16, PngBuilder.Gray, [PngBuilder.Row16(1, 2, 3), PngBuilder.Row16(4, 5, 6)]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(short16)).Message, "truncated");
        var badFilter = PngBuilder.Build(3, 2, 16, PngBuilder.Gray, [PngBuilder.Row16(1, 2, 3), PngBuilder.Row16(4, 5, 6)], filter: 7);
        Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(badFilter));
    }

    /// <summary>A baseline JPEG of Skia's with an EXIF APP1 segment carrying <paramref name="orientation"/> inserted after SOI.</summary>
    private static byte[] JpegWithOrientation(Tensor rgb, ushort orientation)
    {
        using var scope = NewDisposeScope();
        var hwc = cat([rgb, full([1, rgb.size(1), rgb.size(2)], 255, ScalarType.Byte)], 0).permute(1, 2, 0).contiguous();
        var info = new SkiaSharp.SKImageInfo((int)rgb.size(2), (int)rgb.size(1), SkiaSharp.SKColorType.Rgb888x, SkiaSharp.SKAlphaType.Opaque);
        var pixels = hwc.bytes.ToArray();
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        byte[] jpeg;
        try
        {
            using var pixmap = new SkiaSharp.SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var data = pixmap.Encode(new SkiaSharp.SKJpegEncoderOptions(100, SkiaSharp.SKJpegEncoderDownsample.Downsample444, SkiaSharp.SKJpegEncoderAlphaOption.Ignore))!;
            jpeg = data.ToArray();
        }
        finally { handle.Free(); }
        byte[] exif =
        [
            0xFF, 0xE1, 0, 34, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,               // big-endian TIFF header, first IFD at 8
            0, 1,                                                   // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // Orientation, SHORT, 1 value
            0, 0, 0, 0,                                             // no next IFD
        ];
        return [.. jpeg[..2], .. exif, .. jpeg[2..]];
    }

    [TestMethod]
    public void ExifOrientationIsAppliedForGrayAndRgbButNotUnchanged()
    {
        using var scope = NewDisposeScope();
        // 16 wide, 8 high: the left half white, the right half black, and one gray corner block top-left
        var stored = zeros([3, 8, 16], ScalarType.Byte);
        stored.narrow(2, 0, 8).fill_(255);
        stored.narrow(1, 0, 4).narrow(2, 0, 4).fill_(128);
        double Mean(Tensor t, long y, long x, long h, long w) => t.narrow(1, y, h).narrow(2, x, w).to(ScalarType.Float64).mean().item<double>();

        // 6: shown after a quarter turn clockwise: the white left half becomes the top, the gray corner the top-right
        var rotated = ImageCodec.Decode(JpegWithOrientation(stored, 6), ImageReadMode.Rgb);
        Shape([3, 16, 8], rotated);
        Assert.AreEqual(255, Mean(rotated, 5, 0, 3, 4), 8, "top-left quarter: white");
        Assert.AreEqual(128, Mean(rotated, 0, 4, 4, 4), 8, "the gray block moved top-right");
        Assert.AreEqual(0, Mean(rotated, 9, 0, 7, 8), 8, "bottom half: black");
        Shape([1, 16, 8], ImageCodec.Decode(JpegWithOrientation(stored, 6), ImageReadMode.Gray));

        var unchanged = ImageCodec.Decode(JpegWithOrientation(stored, 6));
        Shape([3, 8, 16], unchanged, "Unchanged keeps the stored layout, as OpenCV's IMREAD_UNCHANGED did");

        // 3: half a turn; 8: a quarter turn counter-clockwise (white half at the bottom, gray block bottom-left)
        var upside = ImageCodec.Decode(JpegWithOrientation(stored, 3), ImageReadMode.Rgb);
        Shape([3, 8, 16], upside);
        Assert.AreEqual(128, Mean(upside, 4, 12, 4, 4), 8, "gray block bottom-right");
        var ccw = ImageCodec.Decode(JpegWithOrientation(stored, 8), ImageReadMode.Rgb);
        Shape([3, 16, 8], ccw);
        Assert.AreEqual(128, Mean(ccw, 12, 0, 4, 4), 8, "gray block bottom-left");
        Assert.AreEqual(0, Mean(ccw, 0, 0, 7, 8), 8, "top half: black");
    }

    [TestMethod]
    [DoNotParallelize]
    public void ThePixelLimitIsCheckedFromTheHeaderBeforeDecoding()
    {
        // 100000 × 100000 declared, no pixel data: the refusal must come from IHDR alone
        var bomb = PngBuilder.Build(100_000, 100_000, 8, PngBuilder.Rgb, []);
        var path = Path.Combine(_dir, "bomb.png");
        File.WriteAllBytes(path, bomb);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Read(path));
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - allocated);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "100000×100000 = 10000000000 pixels");
        StringAssert.Contains(e.Message, "limit of 89478485");

        using var scope = NewDisposeScope();
        var bmp = Convert.FromBase64String(Bmp); // 4 × 3
        Shape([3, 3, 4], ImageCodec.Decode(bmp, maxPixels: 12));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(bmp, maxPixels: 11)).Message, "4×3 = 12 pixels, more than the limit of 11");
        var saved = ImageCodec.MaxPixels;
        try
        {
            ImageCodec.MaxPixels = 11;
            Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(bmp));
            Shape([3, 3, 4], ImageCodec.Decode(bmp, maxPixels: 100), "a call's own limit wins");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageCodec.MaxPixels = 0);
        }
        finally { ImageCodec.MaxPixels = saved; }
        Shape([3, 3, 4], ImageCodec.Decode(bmp));
    }

    [TestMethod]
    public void BadImagesFailWithClearExceptions()
    {
        using var scope = NewDisposeScope();
        var random = new byte[200];
        new Random(5).NextBytes(random);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Decode(random));
        StringAssert.Contains(e.Message, "not a decodable image");
        Assert.ThrowsExactly<ArgumentException>(() => ImageCodec.Decode([]));

        var junk = Path.Combine(_dir, "junk.png");
        File.WriteAllBytes(junk, random);
        var je = Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Read(junk));
        StringAssert.Contains(je.Message, junk);
        StringAssert.Contains(je.Message, "not a decodable image");
        var empty = Path.Combine(_dir, "empty.png");
        File.WriteAllBytes(empty, []);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Read(empty)).Message, empty);

        using var g = new Generator(2);
        var png = ImageCodec.EncodePng(randint(0, 256, [3, 32, 32], ScalarType.Byte, generator: g));
        var jpeg = Convert.FromBase64String(Jpeg);
        foreach (var (kind, bytes, keep) in new[] { ("png", png, png.Length / 2), ("png", png, 40), ("png", png, 8), ("jpg", jpeg, jpeg.Length / 2), ("jpg", jpeg, 100) })
        {
            var cut = Path.Combine(_dir, $"truncated{keep}.{kind}");
            File.WriteAllBytes(cut, bytes[..keep]);
            var before = LiveTensors();
            var te = Assert.ThrowsExactly<InvalidDataException>(() => ImageCodec.Read(cut), $"{kind} kept {keep} bytes");
            StringAssert.Contains(te.Message, cut);
            Assert.AreEqual(before, LiveTensors(), "nothing leaked");
        }
        var missing = Path.Combine(_dir, "none.png");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => ImageCodec.Read(missing)).Message, missing);
        Assert.ThrowsExactly<FileNotFoundException>(() => ImageCodec.Read(_dir), "a folder is not an image file");

        Assert.ThrowsExactly<ArgumentException>(() => ImageCodec.EncodePng(zeros([3, 2, 2])), "float");
        Assert.ThrowsExactly<ArgumentException>(() => ImageCodec.EncodePng(zeros([1, 3, 2, 2], ScalarType.Byte)), "4-d");
        Assert.ThrowsExactly<ArgumentException>(() => ImageCodec.EncodePng(zeros([2, 2, 2], ScalarType.Byte)), "2 channels");
        Assert.ThrowsExactly<ArgumentException>(() => ImageCodec.EncodePng(zeros([3, 0, 2], ScalarType.Byte)), "empty");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageCodec.WritePng(zeros([1, 2, 2], ScalarType.Byte), Path.Combine(_dir, "nope", "x.png")));
    }
}
