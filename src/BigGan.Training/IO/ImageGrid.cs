namespace BigGan.Training.IO;

/// <summary>Batches of images as one picture (torchvision.utils' make_grid and save_image) and the float-to-byte mapping.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Tiles a batch [N, C, H, W] into one image [C, rows·(H+p)+p, cols·(W+p)+p], cols = min(nrow, N), with padding p
    /// of <paramref name="padValue"/> around and between the images.
    /// </summary>
    public static Tensor MakeGrid(Tensor batch, int nrow = 8, int padding = 2, double padValue = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var s = batch.shape;
        if (s.Length != 4) throw new ArgumentException($"a grid is made of a batch [N, C, H, W], got {s.Length} dimensions", nameof(batch));
        if (nrow < 1) throw new ArgumentOutOfRangeException(nameof(nrow), nrow, "nrow must be at least 1");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must not be negative");
        long n = s[0], c = s[1], h = s[2], w = s[3];
        long cols = Math.Min(nrow, Math.Max(n, 1)), rows = (n + cols - 1) / cols;
        using var scope = torch.NewDisposeScope();
        var grid = torch.full([c, rows * (h + padding) + padding, cols * (w + padding) + padding], padValue, batch.dtype, batch.device);
        for (long i = 0; i < n; i++)
        {
            long r = i / cols, col = i % cols;
            using var band = grid.narrow(1, r * (h + padding) + padding, h);
            using var cell = band.narrow(2, col * (w + padding) + padding, w);
            using var image = batch[i];
            cell.copy_(image);
        }
        return grid.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Saves a batch [N, 1 or 3, H, W] as one PNG grid, atomically. Float images are mapped from
    /// <paramref name="valueRange"/> (default [-1, 1], the generator's tanh range) to [0, 255] and padded with the low
    /// end of the range; uint8 images are written as they are, padded with 0.
    /// </summary>
    public static void SaveImage(Tensor batch, string path, int nrow = 8, int padding = 2, (double lo, double hi)? valueRange = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = torch.NewDisposeScope();
        bool bytes = batch.dtype == ScalarType.Byte;
        var grid = MakeGrid(batch, nrow, padding, bytes ? 0 : (valueRange?.lo ?? -1));
        ImageCodec.WritePng(bytes ? grid : ToUint8(grid, valueRange ?? (-1, 1)), path);
    }

    /// <summary>Maps [lo, hi] to [0, 255]: scaled, rounded half to even, clamped.</summary>
    public static Tensor ToUint8(Tensor image, (double lo, double hi) valueRange)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (lo, hi) = valueRange;
        if (!(hi > lo) || double.IsInfinity(hi - lo)) throw new ArgumentException($"value range [{lo}, {hi}] needs finite hi > lo", nameof(valueRange));
        using var scope = torch.NewDisposeScope();
        var scaled = image.sub(lo).mul(255.0 / (hi - lo)).round_().clamp_(0, 255).to(ScalarType.Byte);
        return scaled.MoveToOuterDisposeScope();
    }
}
