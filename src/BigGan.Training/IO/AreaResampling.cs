namespace BigGan.Training.IO;

/// <summary>
/// Exact area resampling (what OpenCV's INTER_AREA computes, for any ratio, shrinking or enlarging): each output
/// sample is the mean of the input over the interval it covers, partly covered samples weighted by the part.
/// The integral of a piecewise-constant row up to x is the linear interpolation of its prefix sums at x, so every
/// output is a difference of two interpolated prefix sums: O(pixels), no weight matrices.
/// </summary>
internal static class AreaResampling
{
    /// <summary>Resamples dimensions 1 and 2 of a float64 [C, H, W] tensor to <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static Tensor Resize(Tensor chw, long height, long width)
    {
        using var scope = torch.NewDisposeScope();
        var rows = Along(chw, 2, width);
        return Along(rows, 1, height).MoveToOuterDisposeScope();
    }

    private static Tensor Along(Tensor x, int dim, long outSize)
    {
        long n = x.size(dim);
        if (n == outSize) return x.alias();
        var edgeShape = x.shape;
        edgeShape[dim] = 1;
        // prefix[k] = the sum of the first k samples, k = 0..n
        var prefix = torch.cat([torch.zeros(edgeShape, x.dtype), x.cumsum(dim)], dim);
        // output i covers [i·n/out, (i+1)·n/out); its boundaries, in input units (i·n is exact in float64)
        var edges = torch.arange(0, outSize + 1, 1, ScalarType.Float64).mul(n).div(outSize);
        var below = edges.floor().clamp(0, n - 1);
        var fraction = edges.sub(below);
        var index = below.to(ScalarType.Int64);
        var broadcast = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        broadcast[dim] = outSize + 1;
        var lower = prefix.index_select(dim, index);
        var upper = prefix.index_select(dim, index.add(1));
        var integral = lower.add(upper.sub(lower).mul(fraction.view(broadcast)));
        return integral.narrow(dim, 1, outSize).sub(integral.narrow(dim, 0, outSize)).mul((double)outSize / n);
    }
}
