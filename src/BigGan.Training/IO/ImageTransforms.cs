namespace BigGan.Training.IO;

/// <summary>Geometric transforms of one [C, H, W] image (torchvision.transforms.functional's resize and center_crop).</summary>
public static class ImageTransforms
{
    /// <summary>The largest side <see cref="Resize"/> produces (as before, OpenCV's practical limit).</summary>
    public const long MaxSide = 65535;

    /// <summary>
    /// Resizes a uint8 or float32 [C, H, W] image to <paramref name="height"/> × <paramref name="width"/>, keeping
    /// its dtype (uint8 results are rounded half to even and clamped). Nearest and bilinear run through libtorch's
    /// interpolate (no antialiasing, as OpenCV's INTER_NEAREST and INTER_LINEAR); area is exact coverage averaging,
    /// as OpenCV's INTER_AREA.
    /// </summary>
    public static Tensor Resize(Tensor image, long height, long width, ImageInterpolation interpolation = ImageInterpolation.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3) throw new ArgumentException($"resize expects an image [C, H, W], got {image.dim()} dimensions", nameof(image));
        if (image.dtype != ScalarType.Byte && image.dtype != ScalarType.Float32)
            throw new ArgumentException($"resize needs a uint8 or float32 image, got {image.dtype}", nameof(image));
        if (image.size(0) < 1 || image.size(1) < 1 || image.size(2) < 1)
            throw new ArgumentException($"the image [{string.Join(", ", image.shape)}] is empty", nameof(image));
        if (height < 1 || width < 1 || height > MaxSide || width > MaxSide)
            throw new ArgumentException($"resize target {height}×{width} must be between 1 and {MaxSide} pixels per side");
        if (!Enum.IsDefined(interpolation))
            throw new ArgumentException($"interpolation {(int)interpolation} is not Nearest, Bilinear or Area", nameof(interpolation));

        using var scope = torch.NewDisposeScope();
        Tensor resized;
        if (interpolation == ImageInterpolation.Area)
        {
            resized = AreaResampling.Resize(image.to(ScalarType.Float32), height, width);
        }
        else
        {
            var mode = interpolation == ImageInterpolation.Nearest ? torch.InterpolationMode.Nearest : torch.InterpolationMode.Bilinear;
            bool? alignCorners = interpolation == ImageInterpolation.Nearest ? null : false;
            var batch = image.to(ScalarType.Float32).unsqueeze(0);
            resized = nn.functional.interpolate(batch, [height, width], mode: mode, align_corners: alignCorners).squeeze(0);
        }
        var result = image.dtype == ScalarType.Byte
            ? resized.round().clamp(0, 255).to(ScalarType.Byte)
            : resized.to(ScalarType.Float32);
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The central <paramref name="height"/> × <paramref name="width"/> region of a [C, H, W] image, as a view.</summary>
    public static Tensor CenterCrop(Tensor image, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(image);
        var s = image.shape;
        if (s.Length != 3) throw new ArgumentException($"center crop expects an image [C, H, W], got {s.Length} dimensions", nameof(image));
        if (height < 1 || width < 1) throw new ArgumentException($"crop {height}×{width} is empty");
        if (height > s[1] || width > s[2]) throw new ArgumentException($"crop {height}×{width} is larger than the image {s[1]}×{s[2]}");
        using var rows = image.narrow(1, (s[1] - height) / 2, height);
        return rows.narrow(2, (s[2] - width) / 2, width);
    }
}
