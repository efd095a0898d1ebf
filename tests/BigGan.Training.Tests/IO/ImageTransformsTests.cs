using BigGan.Training.IO;
using TorchSharp;
using static BigGan.Training.Tests.IO.IOTestUtil;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>Resize (nearest, bilinear, exact area) and center crop.</summary>
[TestClass]
public sealed class ImageTransformsTests
{
    [TestMethod]
    public void ResizeSizesAndValues()
    {
        using var scope = NewDisposeScope();
        var img = tensor(new byte[] { 1, 2, 3, 4, 10, 20, 30, 40 }, [2, 2, 2]);
        var pixelStack = tensor(new byte[] { 0, 40, 80, 120, 160, 200, 240, 255, 8, 16, 24, 32, 40, 48, 56, 64 }, [1, 4, 4]);

        var near = ImageTransforms.Resize(img.narrow(0, 0, 1), 4, 4, ImageInterpolation.Nearest);
        Shape([1, 4, 4], near, "one channel stays one channel");
        Equal(new byte[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, near);
        // shrinking picks floor(i * scale): rows 0 and 2, columns 0 and 2
        Equal(new byte[] { 0, 80, 8, 24 }, ImageTransforms.Resize(pixelStack, 2, 2, ImageInterpolation.Nearest));

        var constant = full([3, 5, 7], 123, ScalarType.Byte);
        var bil = ImageTransforms.Resize(constant, 11, 3);
        Shape([3, 11, 3], bil);
        Assert.IsTrue(bil.eq(123).all().item<bool>(), "bilinear keeps a constant image constant");
        // half-pixel centers, no antialiasing: 2 → 4 along a row gives 1, 1.25, 1.75, 2
        Close([1, 1.25, 1.75, 2], [1, 1, 4], ImageTransforms.Resize(tensor(new float[] { 1, 2 }, [1, 1, 2]), 1, 4, ImageInterpolation.Bilinear), 1e-6);

        var area = ImageTransforms.Resize(pixelStack, 2, 2, ImageInterpolation.Area);
        // 2x2 block means: (0+40+160+200)/4, (80+120+240+255)/4, (8+16+40+48)/4, (24+32+56+64)/4
        Equal(new byte[] { 100, 174, 28, 44 }, area);

        var f = ImageTransforms.Resize(pixelStack.to(ScalarType.Float32), 2, 2, ImageInterpolation.Area);
        Assert.AreEqual(ScalarType.Float32, f.dtype);
        Close([100, 173.75, 28, 44], [1, 2, 2], f, 1e-6);

        var rgb = ImageTransforms.Resize(img.repeat(2, 1, 1).narrow(0, 0, 3), 6, 2, ImageInterpolation.Bilinear);
        Shape([3, 6, 2], rgb);
        Assert.IsTrue(rgb.is_contiguous());

        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(img, 0, 3));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(img, 3, 65536));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(img.to(ScalarType.Int64), 3, 3));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(img, 3, 3, (ImageInterpolation)7));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(zeros([1, 2, 2, 2], ScalarType.Byte), 3, 3), "4-d is not an image");
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.Resize(zeros([3, 0, 2], ScalarType.Byte), 3, 3), "empty");
    }

    /// <summary>Area resampling by definition: each output pixel's overlap with each input pixel, summed, over the output pixel's area.</summary>
    private static double[] BruteForceArea(double[,] src, int outH, int outW)
    {
        int h = src.GetLength(0), w = src.GetLength(1);
        double sy = (double)h / outH, sx = (double)w / outW;
        var result = new double[outH * outW];
        for (int i = 0; i < outH; i++)
            for (int j = 0; j < outW; j++)
            {
                double sum = 0;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        double oy = Math.Max(0, Math.Min(y + 1, (i + 1) * sy) - Math.Max(y, i * sy));
                        double ox = Math.Max(0, Math.Min(x + 1, (j + 1) * sx) - Math.Max(x, j * sx));
                        sum += oy * ox * src[y, x];
                    }
                result[i * outW + j] = sum / (sy * sx);
            }
        return result;
    }

    [TestMethod]
    public void AreaAveragesCoverageExactlyAtAnyRatio()
    {
        using var scope = NewDisposeScope();
        var random = new Random(3);
        const int h = 7, w = 10;
        var src = new double[h, w];
        var flat = new float[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                flat[y * w + x] = (float)(src[y, x] = random.Next(256));
        var image = tensor(flat, [1, h, w]);
        // shrinking by non-integer ratios, enlarging, and both at once
        foreach (var (oh, ow) in new[] { (3, 4), (5, 3), (1, 1), (7, 10), (10, 13), (3, 17), (14, 20) })
        {
            var expected = BruteForceArea(src, oh, ow);
            Close(expected, [1, oh, ow], ImageTransforms.Resize(image, oh, ow, ImageInterpolation.Area), 1e-4, $"float {oh}x{ow}");
            var bytes = ImageTransforms.Resize(image.to(ScalarType.Byte), oh, ow, ImageInterpolation.Area);
            Close(expected, [1, oh, ow], bytes, 0.5 + 1e-6, $"uint8 {oh}x{ow}: the true mean, rounded");
        }
        // the mean is kept when shrinking by any ratio
        var big = rand([3, 37, 53]);
        var small = ImageTransforms.Resize(big, 10, 11, ImageInterpolation.Area);
        Close(big.mean([1, 2]).to(ScalarType.Float64).data<double>().ToArray(), [3], small.mean([1, 2]), 1e-5, "channel means");
    }

    [TestMethod]
    public void CenterCropIsTheMiddleAsAView()
    {
        using var scope = NewDisposeScope();
        var x = Seq(ScalarType.Float32, 1, 4, 5);
        Close([6, 7, 8, 11, 12, 13], [1, 2, 3], ImageTransforms.CenterCrop(x, 2, 3), 0);
        Close([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19], [1, 4, 5], ImageTransforms.CenterCrop(x, 4, 5), 0);
        var crop = ImageTransforms.CenterCrop(x, 2, 2);
        crop.fill_(-1);
        Assert.AreEqual(-1f, x[0, 1, 1].item<float>(), "a view of the image, as before");
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.CenterCrop(x, 5, 1));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.CenterCrop(x, 0, 1));
        Assert.ThrowsExactly<ArgumentException>(() => ImageTransforms.CenterCrop(x[0], 1, 1));
    }
}
