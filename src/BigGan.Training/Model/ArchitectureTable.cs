namespace BigGan.Training.Model;

/// <summary>One generator residual block: channels in and out, and the resolution it outputs (it always upsamples 2×).</summary>
public readonly record struct GBlockSpec(int InChannels, int OutChannels, int OutputResolution, bool Attention);

/// <summary>One discriminator residual block: channels in and out, whether it average-pools, and the resolution it outputs.</summary>
public readonly record struct DBlockSpec(int InChannels, int OutChannels, bool Downsample, int OutputResolution, bool Attention);

/// <summary>
/// BigGAN-PyTorch's architecture dictionaries (G_arch / D_arch) as tables of channel multipliers: G starts at 4×4 and
/// doubles per block, D halves per block except the last. Channels are the multiplier times the width (G_ch / D_ch).
/// Attention follows the block whose output resolution is listed. One deliberate difference: the reference lists
/// every 32×32 D block as resolution 16 (so "16" would put attention after all four); here each block carries its
/// true output resolution (16, 8, 8, 8).
/// </summary>
public static class ArchitectureTable
{
    /// <summary>The resolutions with a table.</summary>
    public static IReadOnlyList<int> Resolutions { get; } = [32, 64, 128, 256, 512];

    /// <summary>The spatial size of the first generator feature map.</summary>
    public const int BottomWidth = 4;

    private static readonly Dictionary<int, (int[] inMult, int[] outMult)> GTable = new()
    {
        [32] = ([4, 4, 4], [4, 4, 4]),
        [64] = ([16, 16, 8, 4], [16, 8, 4, 2]),
        [128] = ([16, 16, 8, 4, 2], [16, 8, 4, 2, 1]),
        [256] = ([16, 16, 8, 8, 4, 2], [16, 8, 8, 4, 2, 1]),
        [512] = ([16, 16, 8, 8, 4, 2, 1], [16, 8, 8, 4, 2, 1, 1]),
    };

    // The first D block takes the image channels (multiplier 0 below stands for them).
    private static readonly Dictionary<int, (int[] inMult, int[] outMult, bool[] down)> DTable = new()
    {
        [32] = ([0, 4, 4, 4], [4, 4, 4, 4], [true, true, false, false]),
        [64] = ([0, 1, 2, 4, 8], [1, 2, 4, 8, 16], [true, true, true, true, false]),
        [128] = ([0, 1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 16], [true, true, true, true, true, false]),
        [256] = ([0, 1, 2, 4, 8, 8, 16], [1, 2, 4, 8, 8, 16, 16], [true, true, true, true, true, true, false]),
        [512] = ([0, 1, 1, 2, 4, 8, 8, 16], [1, 1, 2, 4, 8, 8, 16, 16], [true, true, true, true, true, true, true, false]),
    };

    /// <summary>Number of generator blocks at a resolution (3 at 32, then one more per doubling).</summary>
    public static int GeneratorDepth(int resolution) => G(resolution).inMult.Length;

    /// <summary>The generator blocks for a resolution and width, with attention after blocks whose output resolution is listed.</summary>
    public static IReadOnlyList<GBlockSpec> Generator(int resolution, int ch, IEnumerable<int>? attention = null)
    {
        var (inMult, outMult) = G(resolution);
        var attn = attention?.ToHashSet() ?? [];
        var blocks = new GBlockSpec[inMult.Length];
        for (int i = 0; i < blocks.Length; i++)
        {
            var res = BottomWidth << (i + 1);
            blocks[i] = new GBlockSpec(inMult[i] * ch, outMult[i] * ch, res, attn.Contains(res));
        }
        return blocks;
    }

    /// <summary>The discriminator blocks for a resolution, width and image channel count.</summary>
    public static IReadOnlyList<DBlockSpec> Discriminator(int resolution, int ch, int imageChannels, IEnumerable<int>? attention = null)
    {
        var (inMult, outMult, down) = D(resolution);
        var attn = attention?.ToHashSet() ?? [];
        var blocks = new DBlockSpec[inMult.Length];
        var res = resolution;
        for (int i = 0; i < blocks.Length; i++)
        {
            if (down[i]) res /= 2;
            blocks[i] = new DBlockSpec(i == 0 ? imageChannels : inMult[i] * ch, outMult[i] * ch, down[i], res, attn.Contains(res));
        }
        return blocks;
    }

    // BigGAN-deep D (BigGANdeep.py): an input conv makes ch·in₀ channels; each stage then widens and usually pools.
    private static readonly Dictionary<int, (int[] inMult, int[] outMult, bool[] down)> DeepDTable = new()
    {
        [32] = ([4, 4, 4], [4, 4, 4], [true, true, false]),
        [64] = ([1, 2, 4, 8], [2, 4, 8, 16], [true, true, true, true]),
        [128] = ([1, 2, 4, 8, 16], [2, 4, 8, 16, 16], [true, true, true, true, true]),
        [256] = ([1, 2, 4, 8, 8, 16], [2, 4, 8, 8, 16, 16], [true, true, true, true, true, true]),
    };

    /// <summary>The resolutions with a BigGAN-deep table (the reference has none at 512).</summary>
    public static IReadOnlyList<int> DeepResolutions { get; } = [32, 64, 128, 256];

    /// <summary>
    /// BigGAN-deep discriminator stages (each made of D_depth blocks; the first block of a stage widens and pools):
    /// channels in and out, pooling, output resolution and attention after the stage. The input conv maps the image
    /// channels to the first stage's input channels.
    /// </summary>
    public static IReadOnlyList<DBlockSpec> DeepDiscriminator(int resolution, int ch, IEnumerable<int>? attention = null)
    {
        if (!DeepDTable.TryGetValue(resolution, out var t))
            throw new ArgumentException($"no BigGAN-deep discriminator architecture for resolution {resolution}; expected one of {string.Join(", ", DeepResolutions)}", nameof(resolution));
        var attn = attention?.ToHashSet() ?? [];
        var stages = new DBlockSpec[t.inMult.Length];
        var res = resolution;
        for (int i = 0; i < stages.Length; i++)
        {
            if (t.down[i]) res /= 2;
            stages[i] = new DBlockSpec(t.inMult[i] * ch, t.outMult[i] * ch, t.down[i], res, attn.Contains(res));
        }
        return stages;
    }

    /// <summary>The output resolutions of the generator blocks (where G attention may go).</summary>
    public static IReadOnlyList<int> GeneratorResolutions(int resolution) =>
        Enumerable.Range(1, GeneratorDepth(resolution)).Select(i => BottomWidth << i).ToArray();

    /// <summary>The output resolutions of the discriminator blocks (where D attention may go), without repeats.</summary>
    public static IReadOnlyList<int> DiscriminatorResolutions(int resolution) =>
        Discriminator(resolution, 1, 1).Select(b => b.OutputResolution).Distinct().ToArray();

    private static (int[] inMult, int[] outMult) G(int resolution) =>
        GTable.TryGetValue(resolution, out var t) ? t
            : throw new ArgumentException($"no generator architecture for resolution {resolution}; expected one of {string.Join(", ", Resolutions)}", nameof(resolution));

    private static (int[] inMult, int[] outMult, bool[] down) D(int resolution) =>
        DTable.TryGetValue(resolution, out var t) ? t
            : throw new ArgumentException($"no discriminator architecture for resolution {resolution}; expected one of {string.Join(", ", Resolutions)}", nameof(resolution));
}
