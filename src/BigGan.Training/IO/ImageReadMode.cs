namespace BigGan.Training.IO;

/// <summary>The channels an image is decoded to (torchvision's ImageReadMode).</summary>
public enum ImageReadMode
{
    /// <summary>As stored: 1 channel for a grayscale image without alpha, otherwise 3 (RGB; alpha is dropped). EXIF orientation is not applied.</summary>
    Unchanged = 0,

    /// <summary>1 channel; color is converted with ITU-R BT.601 luma. EXIF orientation is applied.</summary>
    Gray = 1,

    /// <summary>3 channels, RGB; gray is repeated. EXIF orientation is applied.</summary>
    Rgb = 3,
}
