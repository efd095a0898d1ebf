using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Data;

/// <summary>Channel conversion of float images, the rule the data loaders apply to bytes (PixelOps.ConvertChannels).</summary>
public static class ImageChannels
{
    /// <summary>
    /// Converts float images [N, C, H, W] (any value range) to <paramref name="channels"/>: gray → RGB repeats the
    /// plane, RGB → gray takes ITU-R BT.601 luma. Returns a tensor the caller owns (an alias when C already matches).
    /// </summary>
    public static Tensor Convert(Tensor images, int channels)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || !images.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected float images [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]", nameof(images));
        long have = images.shape[1];
        if (have == channels) return images.alias();
        if (have == 1 && channels == 3) return images.repeat(1, 3, 1, 1);
        if (have == 3 && channels == 1)
        {
            using var weights = torch.tensor(new[] { 0.299f, 0.587f, 0.114f }, dtype: images.dtype, device: images.device);
            using var view = weights.view(1, 3, 1, 1);
            using var weighted = images * view;
            return weighted.sum(1, keepdim: true);
        }
        throw new ArgumentException($"images have {have} channel(s); only 1 and 3 channels convert into each other (asked for {channels})");
    }
}
