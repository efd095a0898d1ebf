using BigGan.Torch;
using static BigGan.Torch.torch;
using Rng = BigGan.Torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// The BigGAN projection discriminator: <see cref="DBlock"/>s (the first not pre-activated) down to 4×4 (8×8 at 32),
/// attention after the blocks whose output resolution is listed, then ReLU, a global SUM pool to h [N, C], and
/// out = SNLinear(h) + ⟨SNEmbedding(y), h⟩. Returns one score per image, shape [N].
/// State-dict names follow BigGAN-PyTorch (blocks.i.0.*, blocks.i.1.* for attention, linear.*, embed.*).
/// </summary>
public sealed class Discriminator : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DBlock[] _blocks;
    private readonly SelfAttention?[] _attention;

    /// <param name="config">The model configuration (validated here).</param>
    /// <param name="rng">Random source for the SN u vectors and the weights; null means libtorch's default generator.</param>
    /// <param name="skipInit">Keep PyTorch's default layer init instead of <see cref="ModelConfig.DInit"/>.</param>
    public Discriminator(ModelConfig config, Rng? rng = null, bool skipInit = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        var sn = new SpectralNormOptions(config.NumDSvs, config.NumDSvItrs, config.SnEps);
        var specs = ArchitectureTable.Discriminator(config.Resolution, config.DCh, config.Channels, config.DAttention);

        var blocks = register_module("blocks", new ModuleGroup());
        _blocks = new DBlock[specs.Count];
        _attention = new SelfAttention?[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var group = blocks.Add(i.ToString(), new ModuleGroup());
            _blocks[i] = group.Add("0", new DBlock(specs[i].InChannels, specs[i].OutChannels, config.DWide, preactivation: i > 0, specs[i].Downsample, sn, rng));
            if (specs[i].Attention) _attention[i] = group.Add("1", new SelfAttention(specs[i].OutChannels, sn, rng));
        }
        var last = specs[^1].OutChannels;
        linear = register_module("linear", new SNLinear(last, 1, true, sn, rng));
        embed = register_module("embed", new SNEmbedding(config.NumClasses, last, sn, rng));

        if (!skipInit) WeightInit.Apply(this, config.DInit, rng);
    }

    public ModelConfig Config { get; }
    public IReadOnlyList<DBlock> Blocks => _blocks;

    /// <summary>The attention after each block, null where there is none.</summary>
    public IReadOnlyList<SelfAttention?> Attention => _attention;

    public SNLinear linear { get; }

    /// <summary>The projection embedding (spectrally normalised).</summary>
    public SNEmbedding embed { get; }

    /// <summary>Scores [N] for images x (float [N, Channels, R, R]) of classes (int64 [N]).</summary>
    public override Tensor forward(Tensor x, Tensor classes)
    {
        var s = x.shape;
        if (s.Length != 4 || s[1] != Config.Channels || s[2] != Config.Resolution || s[3] != Config.Resolution)
            throw new ArgumentException($"images must be [N, {Config.Channels}, {Config.Resolution}, {Config.Resolution}], got [{string.Join(", ", s)}]", nameof(x));
        var c = classes.shape;
        if (c.Length != 1 || c[0] != s[0] || classes.dtype != ScalarType.Int64)
            throw new ArgumentException($"classes must be int64 class ids [{s[0]}], got {classes.dtype} [{string.Join(", ", c)}]", nameof(classes));

        using var scope = NewDisposeScope();
        var h = MemoryLayout.ChannelsLast ? nn.fused.channels_last(x) : x;
        for (int i = 0; i < _blocks.Length; i++)
        {
            h = _blocks[i].forward(h);
            if (_attention[i] is { } attention) h = attention.forward(h);
        }
        h = h.relu_().sum([2, 3]);
        var projection = embed.forward(classes).mul(h).sum(1);
        return linear.forward(h).view(-1).add_(projection).MoveToOuterDisposeScope();
    }
}
