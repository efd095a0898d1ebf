namespace BigGan.Training.Import;

/// <summary>
/// The generator of Hugging Face's pytorch-pretrained-BigGAN (biggan-deep-128/256/512, a port of DeepMind's TF-Hub
/// BigGAN-deep modules), for sampling. It differs from this project's <see cref="Model.Generator"/> (BigGAN-PyTorch's
/// layout) where its weights need it:
/// <list type="bullet">
/// <item>the class embedding is a linear map (no bias) of a one-hot or soft class vector, and the conditioning
/// vector is concat(z, embedding) (z first), fed to the first linear layer and to every batch norm;</item>
/// <item>the first linear layer's output is read as [N, 4, 4, 16·ch] (channels last) and permuted;</item>
/// <item>blocks are bottlenecks (1×1 down to a quarter, two 3×3, 1×1 up) with the upsample inside, after the first
/// 1×1, and a shortcut that keeps the first half of the channels when the block halves them; attention is a
/// separate layer before block <c>attention_layer_position</c>;</item>
/// <item>batch norms keep statistics per truncation level (n_stats levels 0, 1/(n−1), ..., 1) and use the two
/// neighbouring levels, mixed as the reference does (modf of truncation·(n−1): the lower level weighted by the
/// fraction, the upper by one minus it; an exact level on its own); gain 1 + scale(c) and offset(c) are SN linear;</item>
/// <item>the output conv maps ch → ch channels and the first three are the image;</item>
/// <item>spectral norm is PyTorch's own (weight_orig / u·(W v) with the stored u and v), folded here once at load.</item>
/// </list>
/// Its tensors are named exactly as in the reference's state dict (embeddings.weight, generator.gen_z.weight_orig,
/// generator.layers.N.bn_0.running_means, ...); every one is checked against the configuration first.
/// Truncation convention (TF-Hub's): z = truncation × a normal truncated at ±2, and the same truncation selects the
/// batch-norm statistics, so it is an input of <see cref="Forward"/>.
/// </summary>
public sealed class HuggingFaceBigGan : IDisposable
{
    private readonly Dictionary<string, Tensor> _t;
    private bool _disposed;

    /// <param name="config">The model's config.json.</param>
    /// <param name="stateDict">Its tensors by the reference's names (copied and converted to float32 here).</param>
    /// <param name="source">Names the weights in messages.</param>
    /// <exception cref="InvalidDataException">a tensor is missing, extra or of another shape, named as in the file.</exception>
    public HuggingFaceBigGan(HuggingFaceBigGanConfig config, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        Config = config.Validate(source);
        var expected = CheckFits(config, stateDict, source);

        _t = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach (var name in expected.Keys)
        {
            if (name.EndsWith(".weight_u", StringComparison.Ordinal) || name.EndsWith(".weight_v", StringComparison.Ordinal)) continue;
            var t = stateDict[name].to(ScalarType.Float32);
            if (name.EndsWith(".weight_orig", StringComparison.Ordinal))
            {
                var prefix = name[..^".weight_orig".Length];
                var u = stateDict[prefix + ".weight_u"].to(ScalarType.Float32);
                var v = stateDict[prefix + ".weight_v"].to(ScalarType.Float32);
                var sigma = u.dot(t.reshape(t.shape[0], -1).mv(v));
                _t[prefix + ".weight"] = t.div(sigma).DetachFromDisposeScope();
            }
            else
            {
                _t[name] = t.clone().DetachFromDisposeScope();
            }
        }
    }

    /// <summary>Checks that a state dict holds exactly the tensors of <paramref name="config"/>'s generator, in
    /// floating point; returns the expected shapes.</summary>
    /// <exception cref="InvalidDataException">a tensor is missing, extra or of another shape, named as in the file.</exception>
    public static OrderedDictionary<string, long[]> CheckFits(HuggingFaceBigGanConfig config, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var expected = ExpectedShapes(config.Validate(source));
        StateDictFit.Check(expected, stateDict, $"{source} does not fit the Hugging Face BigGAN of its config");
        return expected;
    }

    public HuggingFaceBigGanConfig Config { get; }

    public int DimZ => Config.ZDim;
    public int NumClasses => Config.NumClasses;
    public int Resolution => Config.OutputDim;

    /// <summary>
    /// Images float [N, 3, R, R] in [−1, 1] for latents z (float [N, z_dim], already scaled by the truncation as in the
    /// reference's usage) and classes as one-hot or soft class vectors (float [N, num_classes]).
    /// </summary>
    /// <param name="z">float [N, z_dim].</param>
    /// <param name="classVectors">float [N, num_classes].</param>
    /// <param name="truncation">In (0, 1]: selects the batch-norm statistics.</param>
    public Tensor Forward(Tensor z, Tensor classVectors, double truncation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = z.shape[0];
        if (z.dim() != 2 || z.shape[1] != DimZ || !z.dtype.IsFloatingPoint())
            throw new ArgumentException($"z must be a float [N, {DimZ}] tensor, got {z.dtype} [{Dims(z.shape)}]", nameof(z));
        if (classVectors.dim() != 2 || classVectors.shape[0] != n || classVectors.shape[1] != NumClasses || !classVectors.dtype.IsFloatingPoint())
            throw new ArgumentException($"class vectors must be float [{n}, {NumClasses}] (one-hot or class weights), got {classVectors.dtype} [{Dims(classVectors.shape)}]", nameof(classVectors));
        if (!(truncation > 0 && truncation <= 1))
            throw new ArgumentException($"truncation {truncation}: expected 0 < truncation <= 1 (it selects the batch-norm statistics)", nameof(truncation));

        using var scope = NewDisposeScope();
        var ch = Config.ChannelWidth;
        var embed = nn.functional.linear(classVectors.to(ScalarType.Float32), _t["embeddings.weight"]);
        var cond = cat([z.to(ScalarType.Float32), embed], 1);
        var h = nn.functional.linear(cond, _t["generator.gen_z.weight"], _t["generator.gen_z.bias"]);
        h = h.view(-1, 4, 4, HuggingFaceBigGanConfig.BottomMultiplier * ch).permute(0, 3, 1, 2).contiguous();
        for (int i = 0; i < Config.Layers.Count; i++)
        {
            if (Config.HasAttention && i == Config.AttentionLayerPosition) h = Attention(h, $"generator.layers.{i}");
            h = Block(h, cond, truncation, $"generator.layers.{ModuleIndex(Config, i)}", Config.Layers[i]);
        }
        var (mean, variance) = Statistics("generator.bn", truncation);
        h = h.sub(mean.view(1, -1, 1, 1)).div(variance.add(Config.Eps).sqrt().view(1, -1, 1, 1))
            .mul(_t["generator.bn.weight"].view(1, -1, 1, 1)).add(_t["generator.bn.bias"].view(1, -1, 1, 1)).relu();
        h = nn.functional.conv2d(h, _t["generator.conv_to_rgb.weight"], _t["generator.conv_to_rgb.bias"], padding: [1, 1]);
        return h.narrow(1, 0, 3).tanh().contiguous().MoveToOuterDisposeScope();
    }

    private Tensor Block(Tensor x, Tensor cond, double truncation, string p, HuggingFaceLayer layer)
    {
        var h = BatchNorm(x, cond, truncation, p + ".bn_0").relu();
        h = Conv(h, p + ".conv_0", 0);
        h = BatchNorm(h, cond, truncation, p + ".bn_1").relu();
        if (layer.UpSample) h = nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        h = Conv(h, p + ".conv_1", 1);
        h = BatchNorm(h, cond, truncation, p + ".bn_2").relu();
        h = Conv(h, p + ".conv_2", 1);
        h = BatchNorm(h, cond, truncation, p + ".bn_3").relu();
        h = Conv(h, p + ".conv_3", 0);
        var shortcut = layer.InMultiplier != layer.OutMultiplier ? x.narrow(1, 0, x.shape[1] / 2) : x;
        if (layer.UpSample) shortcut = nn.functional.interpolate(shortcut, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return h.add(shortcut);
    }

    private Tensor Conv(Tensor x, string p, long padding) =>
        nn.functional.conv2d(x, _t[p + ".weight"], _t[p + ".bias"], padding: [padding, padding]);

    // Conditional: (x − mean) / sqrt(var + eps) · (1 + scale(c)) + offset(c), with the truncation's statistics.
    private Tensor BatchNorm(Tensor x, Tensor cond, double truncation, string p)
    {
        var (mean, variance) = Statistics(p, truncation);
        var gain = nn.functional.linear(cond, _t[p + ".scale.weight"]).add(1).unsqueeze(-1).unsqueeze(-1);
        var bias = nn.functional.linear(cond, _t[p + ".offset.weight"]).unsqueeze(-1).unsqueeze(-1);
        return x.sub(mean.view(1, -1, 1, 1)).div(variance.add(Config.Eps).sqrt().view(1, -1, 1, 1)).mul(gain).add(bias);
    }

    // The reference's choice of statistics: coef, start = modf(truncation / step); exact levels alone, otherwise
    // level[start]·coef + level[start + 1]·(1 − coef).
    internal (Tensor mean, Tensor variance) Statistics(string p, double truncation)
    {
        var step = 1.0 / (Config.NStats - 1);
        var x = truncation / step;
        var start = Math.Truncate(x);
        var coef = x - start;
        var i = (long)start;
        var means = _t[p + ".running_means"];
        var vars = _t[p + ".running_vars"];
        if (coef == 0.0) return (means[i], vars[i]);
        if (i + 1 >= Config.NStats) throw new ArgumentException($"truncation {truncation} falls past the last of {Config.NStats} batch-norm statistics levels");
        return (means[i].mul(coef).add(means[i + 1].mul(1 - coef)), vars[i].mul(coef).add(vars[i + 1].mul(1 - coef)));
    }

    private Tensor Attention(Tensor x, string p)
    {
        var (c, height, width) = (x.shape[1], x.shape[2], x.shape[3]);
        Tensor Project(string name) => nn.functional.conv2d(x, _t[$"{p}.{name}.weight"]);
        var theta = Project("snconv1x1_theta").view(-1, c / 8, height * width);
        var phi = nn.functional.max_pool2d(Project("snconv1x1_phi"), 2, 2).view(-1, c / 8, height * width / 4);
        var attention = bmm(theta.permute(0, 2, 1), phi).softmax(-1);
        var g = nn.functional.max_pool2d(Project("snconv1x1_g"), 2, 2).view(-1, c / 2, height * width / 4);
        var o = bmm(g, attention.permute(0, 2, 1)).view(-1, c / 2, height, width);
        o = nn.functional.conv2d(o, _t[$"{p}.snconv1x1_o_conv.weight"]);
        return x.add(o.mul(_t[$"{p}.gamma"]));
    }

    /// <summary>A tensor by the reference's name, spectral norm folded (prefix.weight for prefix.weight_orig); for export.</summary>
    internal Tensor Weight(string name) => _t[name];

    // Block i's index in the reference's ModuleList: the attention layer takes a slot before block AttentionLayerPosition.
    internal static int ModuleIndex(HuggingFaceBigGanConfig c, int block) => c.HasAttention && block >= c.AttentionLayerPosition ? block + 1 : block;

    /// <summary>Every tensor of the reference's state dict for a configuration, with its shape.</summary>
    public static OrderedDictionary<string, long[]> ExpectedShapes(HuggingFaceBigGanConfig c)
    {
        var s = new OrderedDictionary<string, long[]>(StringComparer.Ordinal);
        long ch = c.ChannelWidth, cond = 2L * c.ZDim;
        void Sn(string p, long outC, long[] shape, bool bias)
        {
            s[p + ".weight_orig"] = shape;
            s[p + ".weight_u"] = [outC];
            s[p + ".weight_v"] = [shape.Skip(1).Aggregate(1L, (a, b) => a * b)];
            if (bias) s[p + ".bias"] = [outC];
        }
        void Bn(string p, long channels)
        {
            s[p + ".running_means"] = [c.NStats, channels];
            s[p + ".running_vars"] = [c.NStats, channels];
            Sn(p + ".scale", channels, [channels, cond], false);
            Sn(p + ".offset", channels, [channels, cond], false);
        }
        s["embeddings.weight"] = [c.ZDim, c.NumClasses];
        var bottom = 4 * 4 * HuggingFaceBigGanConfig.BottomMultiplier * ch;
        Sn("generator.gen_z", bottom, [bottom, cond], true);
        for (int i = 0; i < c.Layers.Count; i++)
        {
            var l = c.Layers[i];
            long inC = ch * l.InMultiplier, outC = ch * l.OutMultiplier, mid = inC / 4;
            if (c.HasAttention && i == c.AttentionLayerPosition)
            {
                var a = $"generator.layers.{i}";
                Sn(a + ".snconv1x1_theta", inC / 8, [inC / 8, inC, 1, 1], false);
                Sn(a + ".snconv1x1_phi", inC / 8, [inC / 8, inC, 1, 1], false);
                Sn(a + ".snconv1x1_g", inC / 2, [inC / 2, inC, 1, 1], false);
                Sn(a + ".snconv1x1_o_conv", inC, [inC, inC / 2, 1, 1], false);
                s[a + ".gamma"] = [1];
            }
            var p = $"generator.layers.{ModuleIndex(c, i)}";
            Bn(p + ".bn_0", inC);
            Sn(p + ".conv_0", mid, [mid, inC, 1, 1], true);
            Bn(p + ".bn_1", mid);
            Sn(p + ".conv_1", mid, [mid, mid, 3, 3], true);
            Bn(p + ".bn_2", mid);
            Sn(p + ".conv_2", mid, [mid, mid, 3, 3], true);
            Bn(p + ".bn_3", mid);
            Sn(p + ".conv_3", outC, [outC, mid, 1, 1], true);
        }
        s["generator.bn.running_means"] = [c.NStats, ch];
        s["generator.bn.running_vars"] = [c.NStats, ch];
        s["generator.bn.weight"] = [ch];
        s["generator.bn.bias"] = [ch];
        Sn("generator.conv_to_rgb", ch, [ch, ch, 3, 3], true);
        return s;
    }

    private static string Dims(long[] shape) => string.Join(", ", shape);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _t.Values) t.Dispose();
    }
}
