using TorchSharp;


namespace BigGan.Training.Data;

/// <summary>The pixel-layout steps the datasets share: square crop and resize, channel conversion, padding.</summary>
internal static class PixelOps
{
    /// <summary>
    /// Center-crops a uint8 [C, H, W] image to a square on its short side and resizes it to resolution² (area
    /// interpolation when shrinking, as it averages without aliasing; bilinear when enlarging). Returns a
    /// contiguous tensor the caller owns.
    /// </summary>
    public static Tensor FitSquare(Tensor image, int resolution)
    {
        var s = image.shape;
        long side = Math.Min(s[1], s[2]);
        using var scope = torch.NewDisposeScope();
        var square = side == s[1] && side == s[2] ? image.alias() : ImageTransforms.CenterCrop(image, side, side);
        var fitted = side == resolution ? square.contiguous()
            : ImageTransforms.Resize(square, resolution, resolution, side > resolution ? ImageInterpolation.Area : ImageInterpolation.Bilinear);
        return fitted.MoveToOuterDisposeScope();
    }

    /// <summary>FitSquare for a uint8 CHW image held in a span; writes channels × resolution² bytes.</summary>
    public static void FitSquare(ReadOnlySpan<byte> chw, int channels, int height, int width, int resolution, Span<byte> destination)
    {
        using var scope = torch.NewDisposeScope();
        var image = TensorData.FromSpan(chw, [channels, height, width]);
        var fitted = FitSquare(image, resolution);
        fitted.CopyTo(destination);
    }

    /// <summary>Converts between 1 and 3 channels: gray → RGB repeats the plane; RGB → gray uses ITU-R BT.601 luma (as OpenCV).</summary>
    public static void ConvertChannels(ReadOnlySpan<byte> source, int sourceChannels, Span<byte> destination, int channels, int planeSize)
    {
        if (sourceChannels == channels)
        {
            source[..(channels * planeSize)].CopyTo(destination);
        }
        else if (sourceChannels == 1)
        {
            var plane = source[..planeSize];
            for (int c = 0; c < channels; c++) plane.CopyTo(destination.Slice(c * planeSize, planeSize));
        }
        else
        {
            var r = source[..planeSize];
            var g = source.Slice(planeSize, planeSize);
            var b = source.Slice(2 * planeSize, planeSize);
            for (int i = 0; i < planeSize; i++)
                destination[i] = (byte)((299 * r[i] + 587 * g[i] + 114 * b[i] + 500) / 1000);
        }
    }

    /// <summary>Copies an H×W plane into the center of a zero-filled size×size plane.</summary>
    public static void PadPlane(ReadOnlySpan<byte> plane, int height, int width, Span<byte> destination, int size)
    {
        destination[..(size * size)].Clear();
        int top = (size - height) / 2, left = (size - width) / 2;
        for (int y = 0; y < height; y++)
            plane.Slice(y * width, width).CopyTo(destination.Slice((top + y) * size + left, width));
    }
}
