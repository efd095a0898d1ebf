using System.CommandLine;
using BigGan.Training.IO;

namespace BigGan.Cli.Commands;

/// <summary>The --max-image-pixels option of the commands that decode image folders outside training (training has
/// its own, from <c>TrainConfig.MaxImagePixels</c>), and how it takes effect: the process-wide decode limit.</summary>
internal static class MaxImagePixelsOption
{
    public static Option<long> Create() =>
        new("--max-image-pixels")
        {
            Description = $"largest width × height of an image decoded, checked before decoding (a guard against decompression bombs; default {ImageCodec.DefaultMaxPixels}, Pillow's)",
            DefaultValueFactory = _ => ImageCodec.DefaultMaxPixels,
        };

    public static void Apply(long pixels)
    {
        if (pixels < 1) throw new ArgumentException($"--max-image-pixels {pixels}: expected a positive number of pixels");
        ImageCodec.MaxPixels = pixels;
    }
}
