using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// The BigGAN projection discriminator: <see cref="DBlock"/>s (the first not pre-activated) down to 4×4 (8×8 at 32),
/// attention after the blocks whose output resolution is listed, then ReLU, a global SUM pool to h [N, C], and
/// out = SNLinear(h) + ⟨SNEmbedding(y), h⟩. Returns one score per image, shape [N].
/// With <see cref="ModelConfig.Deep"/> it is BigGAN-deep: an input 3×3 conv, then DDepth bottleneck
/// <see cref="DeepDBlock"/>s per stage. State-dict names follow BigGAN-PyTorch (input_conv.*, blocks.i.j.*, the
/// attention after a stage's blocks, linear.*, embed.*).
/// </summary>
public sealed class Discriminator : nn.Module<Tensor, Tensor, Tensor>
{
    // Components are registered explicitly under the reference's names (see ExplicitModule).
    protected override void RegisterComponents() { }

    private readonly DBlock[] _blocks;
    private readonly DeepDBlock[][] _deepStages;
    private readonly SelfAttention?[] _attention;

    /// <param name="config">The model configuration (validated here).</param>
    /// <param name="rng">Random source for the SN u vectors and the weights; null means libtorch's default generator.</param>
    /// <param name="skipInit">Keep PyTorch's default layer init instead of <see cref="ModelConfig.DInit"/>.</param>
    public Discriminator(ModelConfig config, Rng? rng = null, bool skipInit = false) : base(nameof(Discriminator))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        var sn = new SpectralNormOptions(config.NumDSvs, config.NumDSvItrs, config.SnEps);
        var specs = config.Deep
            ? ArchitectureTable.DeepDiscriminator(config.Resolution, config.DCh, config.DAttention)
            : ArchitectureTable.Discriminator(config.Resolution, config.DCh, config.Channels, config.DAttention);

        if (config.Deep) input_conv = this.RegisterModule("input_conv", new SNConv2d(config.Channels, specs[0].InChannels, 3, 1, true, sn, rng));
        var blocks = this.RegisterModule("blocks", new ModuleGroup());
        _blocks = config.Deep ? [] : new DBlock[specs.Count];
        _deepStages = config.Deep ? new DeepDBlock[specs.Count][] : [];
        _attention = new SelfAttention?[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var group = blocks.Add(i.ToString(), new ModuleGroup());
            var next = 1;
            if (config.Deep)
            {
                // DDepth blocks per stage: the first widens and pools, the rest keep the shape.
                var depth = config.DDepth;
                _deepStages[i] = new DeepDBlock[depth];
                for (int j = 0; j < depth; j++)
                    _deepStages[i][j] = group.Add(j.ToString(), new DeepDBlock(j == 0 ? specs[i].InChannels : specs[i].OutChannels, specs[i].OutChannels, j == 0 && specs[i].Downsample, sn, rng));
                next = depth;
            }
            else
            {
                _blocks[i] = group.Add("0", new DBlock(specs[i].InChannels, specs[i].OutChannels, config.DWide, preactivation: i > 0, specs[i].Downsample, sn, rng));
            }
            if (specs[i].Attention) _attention[i] = group.Add(next.ToString(), new SelfAttention(specs[i].OutChannels, sn, rng));
        }
        var last = specs[^1].OutChannels;
        linear = this.RegisterModule("linear", new SNLinear(last, 1, true, sn, rng));
        embed = this.RegisterModule("embed", new SNEmbedding(config.NumClasses, last, sn, rng));

        if (!skipInit) WeightInit.Apply(this, config.DInit, rng);
    }

    public ModelConfig Config { get; }
    /// <summary>The residual blocks (BigGAN; empty for BigGAN-deep).</summary>
    public IReadOnlyList<DBlock> Blocks => _blocks;

    /// <summary>BigGAN-deep: the conv from the image to the first stage's channels; null for BigGAN.</summary>
    public SNConv2d? input_conv { get; }

    /// <summary>The BigGAN-deep blocks, DDepth per stage (empty for BigGAN).</summary>
    public IReadOnlyList<IReadOnlyList<DeepDBlock>> DeepStages => _deepStages;

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
        var h = MemoryLayout.ChannelsLast ? x.contiguous(MemoryFormat.ChannelsLast) : x;
        if (input_conv is not null) h = input_conv.forward(h);
        for (int i = 0; i < _attention.Length; i++)
        {
            if (Config.Deep)
                foreach (var block in _deepStages[i]) h = block.forward(h);
            else
                h = _blocks[i].forward(h);
            if (_attention[i] is { } attention) h = attention.forward(h);
        }
        h = h.relu_().sum([2, 3]);
        var projection = embed.forward(classes).mul(h).sum(1);
        return linear.forward(h).view(-1).add_(projection).MoveToOuterDisposeScope();
    }
}
