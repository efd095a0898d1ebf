using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>Conversions of generator output (float [N, C, H, W] in [−1, 1]) to bytes, arrays and PNG files.</summary>
public static class GeneratedImages
{
    /// <summary>uint8 [N, C, H, W]: round((x + 1) · 127.5), clamped to [0, 255] (torchvision's save_image mapping).</summary>
    public static Tensor ToUint8(Tensor images)
    {
        CheckImages(images);
        return ImageGrid.ToUint8(images, (-1, 1));
    }

    /// <summary>One CHW float array per image, in the requested range.</summary>
    public static float[][] ToChw(Tensor images, PixelRange range = PixelRange.MinusOneToOne)
    {
        CheckImages(images);
        using var scope = NewDisposeScope();
        var t = range switch
        {
            PixelRange.MinusOneToOne => images.contiguous(),
            PixelRange.ZeroTo255 => images.add(1).mul_(127.5).clamp_(0, 255),
            _ => throw new ArgumentException($"unknown pixel range {(int)range}", nameof(range)),
        };
        var all = t.to(ScalarType.Float32).ToArray<float>();
        var n = (int)images.shape[0];
        var per = n == 0 ? 0 : all.Length / n;
        var result = new float[n][];
        for (int i = 0; i < n; i++) result[i] = all.AsSpan(i * per, per).ToArray();
        return result;
    }

    /// <summary>One PNG file's bytes per image (grayscale for one channel, RGB for three).</summary>
    public static byte[][] ToPng(Tensor images)
    {
        using var scope = NewDisposeScope();
        var bytes = ToUint8(images);
        var n = images.shape[0];
        var result = new byte[n][];
        for (long i = 0; i < n; i++) result[i] = ImageCodec.EncodePng(bytes[i]);
        return result;
    }

    internal static void CheckImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var s = images.shape;
        if (s.Length != 4 || s[1] is not (1 or 3) || !images.dtype.IsFloatingPoint())
            throw new ArgumentException($"images must be float [N, 1 or 3, H, W] in [-1, 1], got {images.dtype} [{string.Join(", ", s)}]", nameof(images));
    }
}
