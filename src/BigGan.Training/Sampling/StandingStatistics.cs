using TorchSharp;
using BigGan.Training.Model;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>
/// Standing statistics (BigGAN-PyTorch's <c>accumulate_standing_stats</c> with <c>--mybn</c>): reset every batch-norm
/// statistic, run several forward passes with batch statistics on fresh latents and uniformly random classes, and
/// store the plain average of the per-pass means and (biased) variances, which eval mode then normalises with.
/// <para>
/// One deliberate difference: the reference switches the whole generator to train mode, which also advances every
/// spectral-norm u vector once per pass. Here spectral norm stays in eval mode, so only batch-norm statistics change
/// and W/σ stays what the checkpoint (and an ONNX export of it) has.
/// </para>
/// </summary>
public static class StandingStatistics
{
    /// <summary>
    /// Replaces the generator's batch-norm statistics with standing statistics over
    /// <see cref="StandingStatisticsOptions.Accumulations"/> passes. Latents of pass k are rows
    /// [k·B, (k+1)·B) of the sample seeded with the options' seed (<see cref="LatentSampler"/>); classes are drawn from a
    /// stream derived from the same seed. Take a <see cref="BatchNormSnapshot"/> first to undo it.
    /// </summary>
    /// <param name="g">The generator whose statistics are replaced.</param>
    /// <param name="options">Passes, batch size, seed and truncation.</param>
    /// <param name="defaultTruncation">Used when the options give no truncation; null means none.</param>
    public static void Accumulate(Model.Generator g, StandingStatisticsOptions options, Truncation? defaultTruncation = null)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var truncation = (options.Truncation ?? defaultTruncation ?? Truncation.None).Validate();
        Accumulate(g, Batches(g, options, truncation));
    }

    /// <summary>Replaces the generator's batch-norm statistics with the average over the given batches (z float
    /// [B, DimZ], classes int64 [B]); the caller keeps ownership of the tensors. On failure the statistics are left
    /// as they were.</summary>
    public static void Accumulate(Model.Generator g, IEnumerable<(Tensor z, Tensor classes)> batches)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(batches);
        var layers = Layers(g).ToList();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var meanSums = layers.Select(l => zeros_like(l.bn.stored_mean)).ToArray();
        var varSums = layers.Select(l => zeros_like(l.bn.stored_var)).ToArray();
        var momenta = layers.Select(l => l.bn.Momentum).ToArray();
        var groups = layers.Select(l => l.bn.CrossReplicaGroup).ToArray(); // local statistics: never wait on other ranks
        int count = 0;
        using var previous = BatchNormSnapshot.Take(g); // put back if anything fails half-way
        using var mode = TrainingModeScope.BatchStatistics(g);
        try
        {
            foreach (var (bn, _) in layers)
            {
                bn.Momentum = 1;
                bn.CrossReplicaGroup = null;
            }
            foreach (var (z, classes) in batches)
            {
                var n = z.shape[0];
                if (n < 2) throw new ArgumentException($"standing statistics need batches of at least 2 rows, got {n}", nameof(batches));
                foreach (var (bn, _) in layers) bn.ResetRunningStats();
                using (var pass = NewDisposeScope()) g.forward(z, classes);
                // With momentum 1 one update leaves the batch mean and the unbiased batch variance; the reference
                // averages the biased variance E[x²] − E[x]², over n = B·H·W values per channel.
                for (int i = 0; i < layers.Count; i++)
                {
                    var (bn, spatial) = layers[i];
                    var values = (double)n * spatial;
                    meanSums[i].add_(bn.stored_mean);
                    varSums[i].add_(bn.stored_var.mul((values - 1) / values));
                }
                count++;
            }
            if (count == 0) throw new ArgumentException("standing statistics need at least one batch", nameof(batches));
            for (int i = 0; i < layers.Count; i++)
            {
                layers[i].bn.stored_mean.copy_(meanSums[i].div_(count));
                layers[i].bn.stored_var.copy_(varSums[i].div_(count));
            }
        }
        catch
        {
            previous.Restore();
            throw;
        }
        finally
        {
            for (int i = 0; i < layers.Count; i++)
            {
                layers[i].bn.Momentum = momenta[i];
                layers[i].bn.CrossReplicaGroup = groups[i];
            }
        }
    }

    /// <summary>Every batch-norm layer of G with the spatial size (H·W) of the activations it normalises.</summary>
    internal static IEnumerable<(IBatchNorm bn, long spatial)> Layers(Model.Generator g)
    {
        long res = ArchitectureTable.BottomWidth;
        foreach (var block in g.Blocks)
        {
            yield return (block.bn1, res * res);
            res *= 2;
            yield return (block.bn2, res * res);
        }
        yield return (g.output_bn, res * res);
    }

    private static IEnumerable<(Tensor z, Tensor classes)> Batches(Model.Generator g, StandingStatisticsOptions options, Truncation truncation)
    {
        var b = options.BatchSize;
        var classRng = new SampleRandom(SampleRandom.Mix(options.Seed ^ 0x5354414E44494E47UL)); // "STANDING"
        for (int pass = 0; pass < options.Accumulations; pass++)
        {
            var classes = new long[b];
            for (int i = 0; i < b; i++) classes[i] = classRng.NextInt(g.NumClasses);
            using var z = LatentSampler.RowsTensor(options.Seed, (long)pass * b, b, g.DimZ, truncation);
            using var y = tensor(classes);
            yield return (z, y);
        }
    }
}
