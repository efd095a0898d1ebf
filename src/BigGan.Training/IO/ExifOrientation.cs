using SkiaSharp;

namespace BigGan.Training.IO;

/// <summary>Turns a decoded [C, H, W] image the way its EXIF orientation tag says it should be shown.</summary>
internal static class ExifOrientation
{
    /// <summary>A new tensor (possibly a view) showing <paramref name="chw"/> upright.</summary>
    public static Tensor Apply(Tensor chw, SKEncodedOrigin origin) => origin switch
    {
        SKEncodedOrigin.TopRight => chw.flip(2),                          // mirrored left-right
        SKEncodedOrigin.BottomRight => chw.flip(1, 2),                    // rotated 180°
        SKEncodedOrigin.BottomLeft => chw.flip(1),                        // mirrored top-bottom
        SKEncodedOrigin.LeftTop => chw.transpose(1, 2),                   // mirrored across the main diagonal
        SKEncodedOrigin.RightTop => Flip(chw.transpose(1, 2), 2),        // needs 90° clockwise
        SKEncodedOrigin.RightBottom => Flip(chw.transpose(1, 2), 1, 2),  // mirrored across the anti-diagonal
        SKEncodedOrigin.LeftBottom => Flip(chw.transpose(1, 2), 1),      // needs 90° counter-clockwise
        _ => chw.alias(),
    };

    private static Tensor Flip(Tensor transposed, params long[] dims)
    {
        using (transposed) return transposed.flip(dims);
    }
}
