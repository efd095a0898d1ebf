using System.Globalization;
using BigGan.Training.Model;

namespace BigGan.Training.Training;

/// <summary>
/// A rough, up-front estimate of the memory a training run needs, computed from the configuration alone (nothing is
/// allocated), so that sizes that cannot fit (<c>--ch 2000</c>, <c>--batch-size 30000</c>) are refused in a moment
/// instead of after the data set has loaded and the process has grown for minutes. The model:
/// <list type="bullet">
/// <item>Parameters: the convolutions, shortcuts, attention and conditional-BN projections of BigGAN's architecture
/// table (<see cref="ArchitectureTable"/>), in float32; G's count four times (weights, gradients, Adam's two moments)
/// plus once more for the EMA copy, D's four times. BigGAN-deep is counted with the plain tables (an over-estimate).</item>
/// <item>Activations kept for the backward pass, per image: about 3 feature maps of a block's input and 5 of its
/// output size for G, 3 and 4 for D, plus the attention maps (positions × positions / 4, twice). A D step holds D's
/// graph for the fakes and reals of its batch share (2 × batch); a G step holds G's and D's for the G batch share.</item>
/// <item>Every process of a data-parallel run on this machine holds its own copy of the parameters.</item>
/// </list>
/// It errs low: the runtime, libtorch's workspaces, the data set and the allocator's slack are not counted (width 64,
/// batch 16 at 32×32, one channel: estimated 0.49 GB, measured 1.1 GB peak resident), so what it refuses cannot fit, while what it
/// lets through may still not; it tells hopeless sizes from sizes worth trying.
/// </summary>
public sealed record TrainingMemoryEstimate(long GParameters, long DParameters, long ParameterBytes, long ActivationBytes, int Processes)
{
    private const long FloatBytes = 4;

    /// <summary>Everything together, over all processes.</summary>
    public long TotalBytes => Multiply(Processes, Add(ParameterBytes, ActivationBytes));

    /// <summary>Estimates a run of <paramref name="config"/> whose global batch is shared by <paramref name="worldSize"/>
    /// data-parallel processes, <paramref name="processesHere"/> of them on this machine.</summary>
    public static TrainingMemoryEstimate For(RunConfig config, int worldSize = 1, int processesHere = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(processesHere, 1);
        int processes = processesHere;
        var (m, t) = (config.Model, config.Train);
        // The architecture table multiplies the width by up to 16 in int arithmetic: beyond that nothing can fit anyway.
        if ((long)Math.Max(m.GCh, m.DCh) * 16 > int.MaxValue)
            return new TrainingMemoryEstimate(long.MaxValue, long.MaxValue, long.MaxValue, 0, processes);
        var (gParams, gActivations) = Generator(m);
        var (dParams, dActivations) = Discriminator(m);
        long parameterBytes = FloatBytes * (gParams * (t.UseEma ? 5 : 4) + dParams * 4);
        long dBatch = Math.Max(1, t.BatchSize / worldSize), gBatch = Math.Max(1, t.EffectiveGBatchSize / worldSize);
        // Saturating: absurd sizes must give a huge estimate, never a wrapped-around small one.
        long activations = Math.Max(Multiply(2 * dBatch, dActivations), Multiply(gBatch, gActivations + dActivations));
        return new TrainingMemoryEstimate(gParams, dParams, parameterBytes, Multiply(FloatBytes, activations), processes);
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the options to lower, with the estimate, when it exceeds
    /// <paramref name="availableBytes"/> (the memory the runtime may use: physical memory or the container's limit).
    /// </summary>
    public TrainingMemoryEstimate ThrowIfOver(long availableBytes)
    {
        if (TotalBytes <= availableBytes) return this;
        var cause = ParameterBytes >= ActivationBytes
            ? "the model is too wide: lower --ch (--g-ch, --d-ch) or the resolution"
            : "the batch is too large for this model: lower --batch-size (and --g-batch-size), or the width (--ch)";
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"this configuration needs an estimated {Gb(TotalBytes)} of memory, more than the {Gb(availableBytes)} available: {cause}. " +
            $"Estimate: parameters {Gb(ParameterBytes)} (G {GParameters:N0}, D {DParameters:N0} values with gradients, Adam moments and EMA), " +
            $"activations {Gb(ActivationBytes)}{(Processes > 1 ? $", per process, × {Processes} processes" : "")}"));
    }

    /// <summary>The memory this process may use: physical memory, or the container's limit when lower.</summary>
    public static long AvailableBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Gb(TotalBytes)} (parameters {Gb(ParameterBytes)}, activations {Gb(ActivationBytes)}{(Processes > 1 ? $", × {Processes} processes" : "")})");

    private static string Gb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.##} GB");

    private static long Multiply(long a, long b) => b != 0 && a > long.MaxValue / b ? long.MaxValue : a * b;

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    // (parameters, activations per image in floats), in 64-bit arithmetic.
    private static (long parameters, long activations) Generator(ModelConfig m)
    {
        var blocks = ArchitectureTable.Generator(m.Resolution, m.GCh, m.GAttention);
        long cond = m.SharedEmbedding ? m.ResolvedSharedDim + m.DimZ / m.NumZChunks : m.NumClasses;
        long first = blocks[0].InChannels;
        long parameters = (long)(m.DimZ / m.NumZChunks) * first * ArchitectureTable.BottomWidth * ArchitectureTable.BottomWidth;
        if (m.SharedEmbedding) parameters = Add(parameters, (long)m.NumClasses * m.ResolvedSharedDim);
        long activations = first * ArchitectureTable.BottomWidth * ArchitectureTable.BottomWidth;
        foreach (var b in blocks)
        {
            long i = b.InChannels, o = b.OutChannels, positions = (long)b.OutputResolution * b.OutputResolution;
            parameters = Add(parameters, Add(Multiply(9, Add(Multiply(i, o), Multiply(o, o))), Add(Multiply(i, o), Multiply(2 * cond, i + o))));
            activations = Add(activations, Multiply(positions, 3 * i + 5 * o));
            if (b.Attention) (parameters, activations) = WithAttention(parameters, activations, o, positions);
        }
        long last = blocks[^1].OutChannels, pixels = (long)m.Resolution * m.Resolution;
        parameters = Add(parameters, Multiply(9 * last, m.Channels));
        activations = Add(activations, Multiply(pixels, 3 * last + 2L * m.Channels));
        return (parameters, activations);
    }

    private static (long parameters, long activations) Discriminator(ModelConfig m)
    {
        var blocks = ArchitectureTable.Discriminator(m.Resolution, m.DCh, m.Channels, m.DAttention);
        long parameters = 0, activations = 0, input = m.Resolution;
        foreach (var b in blocks)
        {
            long i = b.InChannels, o = b.OutChannels, positions = input * input;
            parameters = Add(parameters, Add(Multiply(9, Add(Multiply(i, o), Multiply(o, o))), Multiply(i, o)));
            activations = Add(activations, Multiply(positions, 3 * i + 4 * o));
            if (b.Attention) (parameters, activations) = WithAttention(parameters, activations, o, (long)b.OutputResolution * b.OutputResolution);
            input = b.OutputResolution;
        }
        long last = blocks[^1].OutChannels;
        parameters = Add(parameters, Add(last, Multiply(m.NumClasses, last)));
        return (parameters, activations);
    }

    // θ, φ, g and the output projection (c²/8 + c²/8 + c²/2 + c²/2), and the positions × positions/4 attention map
    // before and after its softmax.
    private static (long, long) WithAttention(long parameters, long activations, long channels, long positions) =>
        (Add(parameters, Multiply(Multiply(channels, channels), 5) / 4),
         Add(activations, Add(Multiply(positions, 4 * channels), Multiply(2 * positions, positions / 4))));
}
