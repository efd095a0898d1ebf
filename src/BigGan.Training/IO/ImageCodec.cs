using SkiaSharp;

namespace BigGan.Training.IO;

/// <summary>
/// Image decoding and PNG encoding through SkiaSharp. Images are uint8 [C, H, W] tensors, RGB channel order.
/// Decoding reads PNG (8- and 16-bit, gray, gray + alpha, palette, RGB, RGBA), JPEG, BMP, GIF (first frame) and
/// WebP; colors are taken as stored (no color-profile conversion), alpha is dropped without premultiplying.
/// </summary>
public static class ImageCodec
{
    /// <summary>Pillow's MAX_IMAGE_PIXELS: larger images are refused as likely decompression bombs.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    private static long _maxPixels = DefaultMaxPixels;

    /// <summary>
    /// The largest width × height decoded, checked from the image header before any pixel memory is allocated.
    /// Applies wherever a call does not pass its own limit.
    /// </summary>
    public static long MaxPixels
    {
        get => Interlocked.Read(ref _maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Interlocked.Exchange(ref _maxPixels, value);
        }
    }

    /// <summary>Files larger than this are not read into memory (no image under the pixel limit needs to be).</summary>
    private const long MaxFileBytes = int.MaxValue;

    /// <summary>Decodes encoded image bytes into a uint8 [C, H, W] tensor (see <see cref="ImageReadMode"/> for C).</summary>
    /// <exception cref="ArgumentException">The data is empty or the mode unknown.</exception>
    /// <exception cref="InvalidDataException">The data is not a decodable image, is truncated, or is larger than the pixel limit.</exception>
    public static unsafe Tensor Decode(ReadOnlySpan<byte> data, ImageReadMode mode = ImageReadMode.Unchanged, long? maxPixels = null)
    {
        if (data.IsEmpty) throw new ArgumentException("image data is empty", nameof(data));
        CheckMode(mode);
        long limit = maxPixels ?? MaxPixels;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(maxPixels));

        using var encoded = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(encoded)
            ?? throw new InvalidDataException("not a decodable image (PNG, JPEG, BMP, GIF or WebP expected), or truncated");
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (pixels > limit)
            throw new InvalidDataException($"the image is {info.Width}×{info.Height} = {pixels} pixels, more than the limit of {limit} " +
                                           "(--max-image-pixels, ImageCodec.MaxPixels: a guard against decompression bombs)");
        if (pixels * 4 > int.MaxValue) throw new InvalidDataException($"the image is {info.Width}×{info.Height}, too large to decode in one piece");

        using var scope = torch.NewDisposeScope();
        Tensor chw;
        if (codec.EncodedFormat == SKEncodedImageFormat.Png && Png16.IsSixteenBit(data))
        {
            chw = Png16.Decode(data); // Skia would keep only the high byte of each sample
        }
        else
        {
            // 1 channel only for gray without alpha; everything else decodes as RGBA, as stored (unpremultiplied)
            bool gray = info.ColorType == SKColorType.Gray8;
            var target = gray
                ? new SKImageInfo(info.Width, info.Height, SKColorType.Gray8, SKAlphaType.Opaque)
                : new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var pixelsTensor = gray ? torch.empty([1, info.Height, info.Width], ScalarType.Byte) : torch.empty([info.Height, info.Width, 4], ScalarType.Byte);
            SKCodecResult result;
            fixed (byte* p = pixelsTensor.bytes) result = codec.GetPixels(target, (IntPtr)p);
            if (result != SKCodecResult.Success)
                throw new InvalidDataException(result == SKCodecResult.IncompleteInput
                    ? $"the {codec.EncodedFormat} image is truncated"
                    : $"the {codec.EncodedFormat} image could not be decoded ({result})");
            chw = gray ? pixelsTensor : pixelsTensor.permute(2, 0, 1).narrow(0, 0, 3);
        }
        // OpenCV applied EXIF orientation when asked for a color or gray conversion, not for IMREAD_UNCHANGED; so do we
        if (mode != ImageReadMode.Unchanged) chw = ExifOrientation.Apply(chw, codec.EncodedOrigin);
        if (mode == ImageReadMode.Gray && chw.size(0) == 3) chw = Luma(chw);
        if (mode == ImageReadMode.Rgb && chw.size(0) == 1) chw = chw.expand(3, -1, -1);
        return chw.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Reads and decodes an image file.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is empty, corrupt, truncated, not an image, or over the pixel limit; the message names the file.</exception>
    public static Tensor Read(string path, ImageReadMode mode = ImageReadMode.Unchanged, long? maxPixels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckMode(mode);
        if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
        byte[] bytes;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            if (fs.Length == 0) throw new InvalidDataException($"{path}: the file is empty");
            if (fs.Length > MaxFileBytes) throw new InvalidDataException($"{path}: the file has {fs.Length} bytes, more than an image this reader accepts ({MaxFileBytes})");
            bytes = new byte[fs.Length];
            try { fs.ReadExactly(bytes); }
            catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: the file shrank while it was being read", e); }
        }
        try { return Decode(bytes, mode, maxPixels); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    /// <summary>PNG bytes (8-bit gray or RGB) of a uint8 [1 or 3, H, W] tensor on any device.</summary>
    /// <exception cref="ArgumentException">The tensor is not uint8, not [1 or 3, H, W], or empty.</exception>
    public static unsafe byte[] EncodePng(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.IsInvalid) throw new ObjectDisposedException(nameof(image), "the image tensor has been disposed");
        if (image.dtype != ScalarType.Byte) throw new ArgumentException($"PNG encoding needs a uint8 image tensor, got {image.dtype}", nameof(image));
        if (image.dim() != 3) throw new ArgumentException($"an image tensor is [C, H, W], got {image.dim()} dimensions", nameof(image));
        long c = image.size(0), h = image.size(1), w = image.size(2);
        if (c != 1 && c != 3) throw new ArgumentException($"PNG encoding needs 1 or 3 channels, got {c}", nameof(image));
        if (h < 1 || w < 1) throw new ArgumentException($"the image is empty ({h}×{w})", nameof(image));
        if (h * w * 4 > int.MaxValue) throw new ArgumentException($"the image is {h}×{w}, too large to encode in one piece", nameof(image));

        using var scope = torch.NewDisposeScope();
        var cpu = image.detach().cpu();
        // Skia's 8-bit RGB layout has a fourth, ignored byte per pixel
        var hwc = c == 1
            ? cpu.contiguous()
            : torch.cat([cpu, torch.full([1, h, w], 255, ScalarType.Byte)], 0).permute(1, 2, 0).contiguous();
        var info = new SKImageInfo((int)w, (int)h, c == 1 ? SKColorType.Gray8 : SKColorType.Rgb888x, SKAlphaType.Opaque);
        fixed (byte* p = hwc.bytes)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
            using var png = pixmap.Encode(SKPngEncoderOptions.Default) ?? throw new InvalidOperationException($"SkiaSharp could not encode a {c}×{h}×{w} image as PNG");
            return png.ToArray();
        }
    }

    /// <summary>Writes a uint8 [1 or 3, H, W] tensor as a PNG file, atomically.</summary>
    public static void WritePng(Tensor image, string path) => AtomicFile.WriteAllBytes(path, EncodePng(image));

    /// <summary>ITU-R BT.601 luma in OpenCV's fixed point (14 bits, rounded), so gray matches cv::cvtColor exactly.</summary>
    private static Tensor Luma(Tensor rgb)
    {
        using var weights = torch.tensor(new[] { 4899, 9617, 1868 }, [3, 1, 1]);
        using var wide = rgb.to(ScalarType.Int32);
        using var weighted = wide.mul(weights);
        using var sum = weighted.sum([0], keepdim: true, type: ScalarType.Int32);
        using var rounded = sum.add(1 << 13).div(1 << 14, rounding_mode: RoundingMode.floor);
        return rounded.to(ScalarType.Byte);
    }

    private static void CheckMode(ImageReadMode mode)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "the read mode must be Unchanged, Gray or Rgb");
    }
}
