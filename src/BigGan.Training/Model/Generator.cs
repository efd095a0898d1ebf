using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// The BigGAN generator. z (or its chunk 0 when hierarchical) → SN linear → [ch·m₀, 4, 4]; one <see cref="GBlock"/>
/// per doubling up to the resolution, each optionally followed by <see cref="SelfAttention"/>; then BN, ReLU,
/// 3×3 SN conv to the image channels, tanh. Every block's cBNs are conditioned on the class: with the shared
/// embedding on a vector shared(y) (concatenated with z chunk i+1 for block i when hierarchical), otherwise on the
/// class id through per-class tables. Output: [N, Channels, R, R] in [-1, 1].
/// With <see cref="ModelConfig.Deep"/> it is BigGAN-deep instead: GDepth bottleneck <see cref="DeepGBlock"/>s per
/// resolution and [shared(y), z] as the input of the linear and of every cBN.
/// State-dict names follow BigGAN-PyTorch (shared.weight, linear.*, blocks.i.0.*, blocks.i.1.* for attention,
/// output_layer.0.* for the BN, output_layer.2.* for the conv).
/// </summary>
public sealed class Generator : nn.Module<Tensor, Tensor, Tensor>
{
    // Components are registered explicitly under the reference's names (see ExplicitModule).
    protected override void RegisterComponents() { }

    private readonly GBlock[] _blocks;
    private readonly DeepGBlock[][] _deepStages;
    private readonly SelfAttention?[] _attention;
    private readonly long _bottomChannels;

    /// <param name="config">The model configuration (validated here).</param>
    /// <param name="rng">Random source for the SN u vectors and the weights; null means libtorch's default generator.</param>
    /// <param name="skipInit">Keep PyTorch's default layer init instead of <see cref="ModelConfig.GInit"/> (an EMA copy or a
    /// model about to load a checkpoint, as the reference's skip_init).</param>
    public Generator(ModelConfig config, Rng? rng = null, bool skipInit = false) : base(nameof(Generator))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        var sn = new SpectralNormOptions(config.NumGSvs, config.NumGSvItrs, config.SnEps);
        var specs = ArchitectureTable.Generator(config.Resolution, config.GCh, config.GAttention);
        ZChunkSize = config.DimZ / config.NumZChunks;
        ConditionDim = config.SharedEmbedding ? config.ResolvedSharedDim : config.NumClasses;
        _bottomChannels = specs[0].InChannels;

        // BigGAN-deep feeds [shared(y), z] to the linear and to every cBN; BigGAN feeds z chunk 0 to the linear and
        // [shared(y), z chunk i] (or shared(y), or the class id) to block i.
        var linearInput = config.Deep ? config.DimZ + config.ResolvedSharedDim : ZChunkSize;
        var cbnInput = !config.SharedEmbedding ? config.NumClasses
            : config.Deep ? config.ResolvedSharedDim + config.DimZ
            : config.ResolvedSharedDim + (config.Hierarchical ? ZChunkSize : 0);

        if (config.SharedEmbedding) shared = this.RegisterModule("shared", new Embedding(config.NumClasses, config.ResolvedSharedDim, rng));
        linear = this.RegisterModule("linear", new SNLinear(linearInput, _bottomChannels * ArchitectureTable.BottomWidth * ArchitectureTable.BottomWidth, true, sn, rng));

        Func<long, ConditionalBatchNorm> bn = config.SharedEmbedding
            ? c => ConditionalBatchNorm.Linear(c, cbnInput, config.BnEps, sn, rng)
            : c => ConditionalBatchNorm.Tables(c, config.NumClasses, config.BnEps, rng);

        var blocks = this.RegisterModule("blocks", new ModuleGroup());
        _blocks = config.Deep ? [] : new GBlock[specs.Count];
        _deepStages = config.Deep ? new DeepGBlock[specs.Count][] : [];
        _attention = new SelfAttention?[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var group = blocks.Add(i.ToString(), new ModuleGroup());
            var next = 1;
            if (config.Deep)
            {
                // GDepth blocks per stage: in → in without resampling, the last one in → out with the upsample.
                var depth = config.GDepth;
                _deepStages[i] = new DeepGBlock[depth];
                for (int j = 0; j < depth; j++)
                {
                    var final = j == depth - 1;
                    _deepStages[i][j] = group.Add(j.ToString(), new DeepGBlock(specs[i].InChannels, final ? specs[i].OutChannels : specs[i].InChannels, final, bn, sn, rng));
                }
                next = depth;
            }
            else
            {
                _blocks[i] = group.Add("0", new GBlock(specs[i].InChannels, specs[i].OutChannels, bn, sn, rng));
            }
            if (specs[i].Attention) _attention[i] = group.Add(next.ToString(), new SelfAttention(specs[i].OutChannels, sn, rng));
        }

        var output = this.RegisterModule("output_layer", new ModuleGroup());
        var last = specs[^1].OutChannels;
        // The reference builds this BN without passing BN_eps, so it always uses 1e-5.
        output_bn = output.Add("0", new BatchNorm2d(last, 1e-5));
        output_conv = output.Add("2", new SNConv2d(last, config.Channels, 3, 1, true, sn, rng));

        if (!skipInit) WeightInit.Apply(this, config.GInit, rng);
    }

    public ModelConfig Config { get; }

    /// <summary>Length of z.</summary>
    public int DimZ => Config.DimZ;

    public int NumClasses => Config.NumClasses;

    /// <summary>Columns of z per chunk: DimZ / (blocks + 1) when hierarchical, else DimZ.</summary>
    public int ZChunkSize { get; }

    /// <summary>Width of an embedded class vector (<see cref="Embed"/>, <see cref="ForwardEmbedded"/>): the shared
    /// embedding size, or NumClasses (one-hot / class weights) without the shared embedding.</summary>
    public int ConditionDim { get; }

    /// <summary>The shared class embedding (plain, not SN), or null when each cBN has its own tables.</summary>
    public Embedding? shared { get; }

    public SNLinear linear { get; }

    /// <summary>The residual blocks (BigGAN; empty for BigGAN-deep).</summary>
    public IReadOnlyList<GBlock> Blocks => _blocks;

    /// <summary>The BigGAN-deep blocks, GDepth per resolution stage (empty for BigGAN).</summary>
    public IReadOnlyList<IReadOnlyList<DeepGBlock>> DeepStages => _deepStages;

    /// <summary>The attention after each block (stage, for BigGAN-deep), null where there is none.</summary>
    public IReadOnlyList<SelfAttention?> Attention => _attention;

    public BatchNorm2d output_bn { get; }
    public SNConv2d output_conv { get; }

    /// <summary>Images for latents z (float [N, DimZ]) and class ids (int64 [N]).</summary>
    public override Tensor forward(Tensor z, Tensor classes)
    {
        CheckClasses(classes, z);
        if (shared is null) return Run(z, classes);
        using var y = shared.forward(classes);
        return Run(z, y);
    }

    /// <summary>Images for latents z and already-embedded classes [N, ConditionDim] (from <see cref="Embed"/> or
    /// <see cref="EmbedSoft"/>, or an interpolation between them).</summary>
    public Tensor ForwardEmbedded(Tensor z, Tensor classEmbedding)
    {
        var s = classEmbedding.shape;
        if (s.Length != 2 || s[1] != ConditionDim || !classEmbedding.dtype.IsFloatingPoint())
            throw new ArgumentException($"class embedding must be a float [N, {ConditionDim}] tensor, got {classEmbedding.dtype} [{string.Join(", ", s)}]", nameof(classEmbedding));
        CheckZ(z, s[0]);
        return Run(z, classEmbedding);
    }

    /// <summary>The embedded class vector for class ids: shared(y), or one-hot [N, NumClasses] without the shared embedding.</summary>
    public Tensor Embed(Tensor classes)
    {
        CheckClasses(classes, null);
        if (shared is not null) return shared.forward(classes);
        using var oneHot = nn.functional.one_hot(classes, NumClasses);
        return oneHot.to(linear.weight.dtype);
    }

    /// <summary>The embedded class vector for class weights [N, NumClasses] (a soft mixture of classes).</summary>
    public Tensor EmbedSoft(Tensor weights)
    {
        var s = weights.shape;
        if (s.Length != 2 || s[1] != NumClasses || !weights.dtype.IsFloatingPoint())
            throw new ArgumentException($"class weights must be a float [N, {NumClasses}] tensor, got {weights.dtype} [{string.Join(", ", s)}]", nameof(weights));
        return shared is not null ? shared.forward(weights) : weights.alias();
    }

    private Tensor Run(Tensor z, Tensor y)
    {
        using var scope = NewDisposeScope();
        Tensor h;
        Tensor[] conditions;
        var stages = _attention.Length;
        if (Config.Deep)
        {
            var condition = cat([y, z], 1);
            h = linear.forward(condition);
            conditions = Enumerable.Repeat(condition, stages).ToArray();
        }
        else if (Config.Hierarchical)
        {
            var zs = z.split(ZChunkSize, 1);
            h = linear.forward(zs[0]);
            conditions = new Tensor[stages];
            for (int i = 0; i < stages; i++) conditions[i] = cat([y, zs[i + 1]], 1);
        }
        else
        {
            h = linear.forward(z);
            conditions = Enumerable.Repeat(y, stages).ToArray();
        }
        h = h.view(-1, _bottomChannels, ArchitectureTable.BottomWidth, ArchitectureTable.BottomWidth);
        if (MemoryLayout.ChannelsLast) h = h.contiguous(MemoryFormat.ChannelsLast);
        for (int i = 0; i < stages; i++)
        {
            if (Config.Deep)
                foreach (var block in _deepStages[i]) h = block.forward(h, conditions[i]);
            else
                h = _blocks[i].forward(h, conditions[i]);
            if (_attention[i] is { } attention) h = attention.forward(h);
        }
        h = output_bn.forward(h).relu_();
        h = output_conv.forward(h).tanh_();
        return h.contiguous().MoveToOuterDisposeScope();  // ordinary NCHW out, whatever layout the layers used
    }

    private void CheckZ(Tensor z, long n)
    {
        var s = z.shape;
        if (s.Length != 2 || s[1] != DimZ || !z.dtype.IsFloatingPoint())
            throw new ArgumentException($"z must be a float [N, {DimZ}] tensor, got {z.dtype} [{string.Join(", ", s)}]", nameof(z));
        if (s[0] != n)
            throw new ArgumentException($"z has {s[0]} rows but the classes have {n}", nameof(z));
    }

    private void CheckClasses(Tensor classes, Tensor? z)
    {
        var s = classes.shape;
        if (s.Length != 1 || classes.dtype != ScalarType.Int64)
            throw new ArgumentException($"classes must be int64 class ids [N], got {classes.dtype} [{string.Join(", ", s)}] (use ForwardEmbedded for embedded or soft classes)", nameof(classes));
        if (z is not null) CheckZ(z, s[0]);
    }
}
