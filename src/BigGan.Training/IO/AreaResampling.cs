namespace BigGan.Training.IO;

/// <summary>
/// Exact area resampling (what OpenCV's INTER_AREA computes, for any ratio, shrinking or enlarging): each output
/// sample is the mean of the input over the interval it covers, partly covered samples weighted by the part.
/// Per axis, output i covers [e_i, e_(i+1)) with e_i = i·n/out; with k_i = floor(e_i) and f_i = e_i − k_i, its
/// integral is (the sum of samples k_i .. k_(i+1)−1) + f_(i+1)·x[k_(i+1)] − f_i·x[k_i]. The sums are one index_add
/// over the input, so the work is O(pixels) and no temporary is larger than the input.
/// </summary>
internal static class AreaResampling
{
    /// <summary>Resamples dimensions 1 and 2 of a float [C, H, W] tensor to <paramref name="height"/> × <paramref name="width"/>.</summary>
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
        // the edges in input units (i·n is exact in double), the sample each starts in, and the fraction into it
        var first = new long[outSize + 1];
        var fraction = new double[outSize + 1];
        for (long i = 0; i <= outSize; i++)
        {
            double edge = (double)(i * n) / outSize;
            first[i] = Math.Min((long)Math.Floor(edge), n - 1);
            fraction[i] = edge - first[i];
        }
        // segment of each input sample: the output whose whole-sample sum it joins (samples from k_out on join none: slot outSize)
        var segment = new long[n];
        for (long i = 0, j = 0; j < n; j++)
        {
            while (i < outSize && j >= first[i + 1]) i++;
            segment[j] = j >= first[outSize] ? outSize : i;
        }
        var shape = x.shape;
        shape[dim] = outSize + 1;
        var sums = torch.zeros(shape, x.dtype).index_add_(dim, torch.tensor(segment), x, 1);
        var broadcast = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        broadcast[dim] = outSize + 1;
        var partial = x.index_select(dim, torch.tensor(first)).mul(torch.tensor(fraction, x.dtype).view(broadcast));
        var integral = sums.narrow(dim, 0, outSize).add(partial.narrow(dim, 1, outSize)).sub(partial.narrow(dim, 0, outSize));
        return integral.mul((double)outSize / n);
    }
}
