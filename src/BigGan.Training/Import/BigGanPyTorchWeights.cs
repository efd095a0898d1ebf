using BigGan.Training.Model;
using Generator = BigGan.Training.Model.Generator;

namespace BigGan.Training.Import;

/// <summary>
/// BigGAN-PyTorch (ajbrock/BigGAN-PyTorch) generator weights: a <c>G.pth</c> / <c>G_ema.pth</c> state dict, or a
/// file holding <c>{"G": ..., "G_ema": ...}</c> (the EMA copy is taken when present). This project's
/// <see cref="Generator"/> registers its tensors under the reference's names (shared.weight, linear.weight/bias/u0/sv0,
/// blocks.i.0.{conv1,conv2,conv_sc,bn1,bn2}.*, blocks.i.1.{theta,phi,g,o,gamma} for attention,
/// output_layer.0.{gain,bias,stored_mean,stored_var}, output_layer.2.*), so the mapping is the identity and the
/// configuration is read off the shapes: width, resolution, z and embedding sizes, hierarchical z, attention,
/// classes and the number of tracked singular values. What the shapes cannot say (batch-norm and SN eps) defaults to
/// the published ImageNet models' settings (launch_BigGAN_bs256x8.sh: BN eps 1e-5, SN eps 1e-6), or comes from a
/// given configuration.
/// </summary>
public static class BigGanPyTorchWeights
{
    /// <summary>The generator state dict inside a loaded file: the G_ema or G entry of a combined file, or the file itself
    /// (without the "module." of a model saved inside nn.DataParallel).</summary>
    public static Dictionary<string, Tensor> Select(IReadOnlyDictionary<string, Tensor> file)
    {
        if (file.Count > 0 && file.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
            return Select(file.ToDictionary(kv => kv.Key["module.".Length..], kv => kv.Value, StringComparer.Ordinal));
        foreach (var prefix in new[] { "G_ema.", "G." })
        {
            if (file.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                return file.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        }
        return new Dictionary<string, Tensor>(file, StringComparer.Ordinal);
    }

    /// <summary>The configuration a BigGAN-PyTorch generator state dict was built with, read off its shapes.</summary>
    /// <param name="g">The generator's tensors (<see cref="Select"/>).</param>
    /// <param name="path">Names the file in messages.</param>
    /// <param name="bnEps">Batch-norm eps (not stored in the weights).</param>
    /// <param name="snEps">Spectral-norm eps (not stored in the weights).</param>
    /// <exception cref="InvalidDataException">the tensors are not a BigGAN-PyTorch generator's.</exception>
    public static ModelConfig InferConfig(IReadOnlyDictionary<string, Tensor> g, string path, double bnEps = 1e-5, double snEps = 1e-6)
    {
        Tensor Need(string name) => g.TryGetValue(name, out var t) ? t
            : throw new InvalidDataException($"{path} has no '{name}': not a BigGAN-PyTorch generator state dict (its first names: {string.Join(", ", g.Keys.Take(6))})");
        var linear = Need("linear.weight");
        var outputConv = Need("output_layer.2.weight");
        var blocks = 0;
        while (g.ContainsKey($"blocks.{blocks}.0.conv1.weight")) blocks++;
        var resolution = ArchitectureTable.BottomWidth << blocks;
        if (!ArchitectureTable.Resolutions.Contains(resolution))
            throw new InvalidDataException($"{path} has {blocks} generator blocks ('blocks.N.0.conv1.weight'), i.e. resolution {resolution}; BigGAN-PyTorch has tables for {string.Join(", ", ArchitectureTable.Resolutions)}");
        var bottomMultiplier = ArchitectureTable.Generator(resolution, 1)[0].InChannels;
        var bottomChannels = linear.shape[0] / (ArchitectureTable.BottomWidth * ArchitectureTable.BottomWidth);
        if (bottomChannels % bottomMultiplier != 0)
            throw new InvalidDataException($"{path}: 'linear.weight' has {linear.shape[0]} outputs, not 16 × {bottomMultiplier} × G_ch for resolution {resolution}");
        var ch = (int)(bottomChannels / bottomMultiplier);

        var bnGain = Need("blocks.0.0.bn1.gain.weight");
        var shared = g.TryGetValue("shared.weight", out var s) ? s : null;
        int numClasses, sharedDim = 0, dimZ;
        var hierarchical = false;
        var linearIn = (int)linear.shape[1];
        if (shared is not null)
        {
            numClasses = (int)shared.shape[0];
            sharedDim = (int)shared.shape[1];
            var chunk = (int)bnGain.shape[1] - sharedDim;   // cBN input: shared(y), plus z chunk i when hierarchical
            hierarchical = chunk > 0;
            if (hierarchical && chunk != linearIn)
                throw new InvalidDataException($"{path}: hierarchical z chunks disagree: 'linear.weight' takes {linearIn} inputs but 'blocks.0.0.bn1.gain.weight' takes {bnGain.shape[1]} - {sharedDim} (shared.weight) = {chunk}");
            dimZ = hierarchical ? chunk * (blocks + 1) : linearIn;
        }
        else
        {
            numClasses = (int)bnGain.shape[0];   // per-class tables [classes, channels]
            dimZ = linearIn;
        }
        var attention = Enumerable.Range(0, blocks).Where(i => g.ContainsKey($"blocks.{i}.1.gamma")).Select(i => ArchitectureTable.BottomWidth << (i + 1)).ToArray();
        var svs = 0;
        while (g.ContainsKey($"linear.u{svs}")) svs++;

        try
        {
            return new ModelConfig
            {
                Resolution = resolution,
                Channels = (int)outputConv.shape[0],
                NumClasses = numClasses,
                GCh = ch,
                DCh = ch,
                DimZ = dimZ,
                SharedEmbedding = shared is not null,
                SharedDim = sharedDim,
                Hierarchical = hierarchical,
                GAttention = attention,
                DAttention = [],   // no discriminator comes with the weights
                BnEps = bnEps,
                SnEps = snEps,
                NumGSvs = Math.Max(1, svs),
                NumDSvs = Math.Max(1, svs),
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the shapes give no valid BigGAN configuration: {e.Message}", e);
        }
    }

    /// <summary>A generator (eval mode) with the weights of a BigGAN-PyTorch file, built for the configuration given or read off its shapes.</summary>
    /// <exception cref="InvalidDataException">the file is not a BigGAN-PyTorch generator, or does not fit <paramref name="config"/>.</exception>
    public static Generator Load(string path, ModelConfig? config = null)
    {
        var file = TorchCheckpoint.Load(path);
        try
        {
            var g = Select(file);
            config ??= InferConfig(g, path);
            var generator = new Generator(config, skipInit: true);
            try
            {
                StateDictFit.Load(generator, g, path);
                generator.eval();
                return generator;
            }
            catch
            {
                generator.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }
}
