namespace BigGan.Training.Model;

/// <summary>
/// Exact, cheaper forms of the two conv patterns that dominate BigGAN (same values up to float rounding, fully
/// differentiable, channels-last kept): each needs 16 instead of 36 multiply-adds per output pixel.
/// </summary>
public static class PhaseConvolution
{
    /// <summary>
    /// conv2d(interpolate(x, scale_factor: 2, nearest), weight, bias, padding: 1) for a [out, in, 3, 3] weight, as four
    /// 2×2 convs on x, one per output phase: output row 2i + a reads input rows i − 1 + a and i + a, with the 3 taps
    /// folded into 2 ((W0, W1 + W2) for a = 0, (W0 + W1, W2) for a = 1), and the same along columns.
    /// </summary>
    public static Tensor UpsampleConv3x3(Tensor input, Tensor weight, Tensor? bias = null)
    {
        CheckConv3x3(input, weight, nameof(UpsampleConv3x3));
        using var scope = NewDisposeScope();
        long n = input.shape[0], h = input.shape[2], w = input.shape[3], co = weight.shape[0];
        bool channelsLast = input.is_contiguous(MemoryFormat.ChannelsLast) && !input.is_contiguous();
        var padded = nn.functional.pad(input, [1, 1, 1, 1]);
        var phaseRows = new Tensor[2];
        for (int a = 0; a < 2; a++)
        {
            var rows = Fold(weight, 2, a);
            var cols = new Tensor[2];
            for (int b = 0; b < 2; b++)
            {
                var window = padded.narrow(2, a, h + 1).narrow(3, b, w + 1);
                cols[b] = Convolution.Conv2d(window, Fold(rows, 3, b), bias);
            }
            phaseRows[a] = channelsLast  // interleave in NHWC order so the result stays channels-last without another copy
                ? stack([cols[0].permute(0, 2, 3, 1), cols[1].permute(0, 2, 3, 1)], 3)  // [N, H, W, 2, Co]
                : stack(cols, -1);                                                       // [N, Co, H, W, 2]
        }
        var result = channelsLast
            ? stack(phaseRows, 2).reshape(n, 2 * h, 2 * w, co).permute(0, 3, 1, 2)  // [N, H, 2, W, 2, Co] → NCHW view of NHWC
            : stack(phaseRows, 3).reshape(n, co, 2 * h, 2 * w);                     // [N, Co, H, 2, W, 2] → [N, Co, 2H, 2W]
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// avg_pool2d(conv2d(x, weight, bias, padding: 1), 2) for a [out, in, 3, 3] weight, as one stride-2 4×4 conv: a pooled
    /// output reads input rows 2m − 1 … 2m + 2 with taps (W0, W0 + W1, W1 + W2, W2) / 2, the same along columns.
    /// </summary>
    public static Tensor Conv3x3AvgPool(Tensor input, Tensor weight, Tensor? bias = null)
    {
        CheckConv3x3(input, weight, nameof(Conv3x3AvgPool));
        using var scope = NewDisposeScope();
        var kernel = Spread(Spread(weight, 2), 3).mul(0.25);
        return Convolution.Conv2d(input, kernel, bias, stride: 2, padding: 1).MoveToOuterDisposeScope();
    }

    // Phase a of the nearest-upsampled 3-tap kernel along `dim` as 2 taps.
    private static Tensor Fold(Tensor k, long dim, int a) => a == 0
        ? cat([Tap(k, dim, 0), Tap(k, dim, 1).add(Tap(k, dim, 2))], dim)
        : cat([Tap(k, dim, 0).add(Tap(k, dim, 1)), Tap(k, dim, 2)], dim);

    private static Tensor Spread(Tensor k, long dim) =>
        cat([Tap(k, dim, 0), Tap(k, dim, 0).add(Tap(k, dim, 1)), Tap(k, dim, 1).add(Tap(k, dim, 2)), Tap(k, dim, 2)], dim);

    private static Tensor Tap(Tensor k, long dim, long i) => k.narrow(dim, i, 1);

    private static void CheckConv3x3(Tensor input, Tensor weight, string op)
    {
        if (input.dim() != 4 || weight.dim() != 4 || weight.shape[2] != 3 || weight.shape[3] != 3 || weight.shape[1] != input.shape[1])
            throw new ArgumentException($"{op} expects input [N, C, H, W] and weight [out, C, 3, 3], got [{string.Join(", ", input.shape)}] and [{string.Join(", ", weight.shape)}]");
    }
}
