using System.Text.Json;

namespace BigGan.Training.Import;

/// <summary>One entry of a Hugging Face BigGAN config's <c>layers</c>: whether the block upsamples, and its input and
/// output channels as multiples of <see cref="HuggingFaceBigGanConfig.ChannelWidth"/>.</summary>
public readonly record struct HuggingFaceLayer(bool UpSample, int InMultiplier, int OutMultiplier);

/// <summary>
/// The config.json of a pytorch-pretrained-BigGAN model (its BigGANConfig): output_dim, z_dim, channel_width,
/// num_classes, layers, attention_layer_position, eps, n_stats (class_embed_dim is read but, as there, unused: the
/// class embedding is z_dim wide). Checked for what the architecture needs, so a bad file fails here, by field.
/// </summary>
public sealed record HuggingFaceBigGanConfig
{
    public int OutputDim { get; init; } = 128;
    public int ZDim { get; init; } = 128;
    public int ChannelWidth { get; init; } = 128;
    public int NumClasses { get; init; } = 1000;
    public IReadOnlyList<HuggingFaceLayer> Layers { get; init; } = [];
    public int AttentionLayerPosition { get; init; } = 8;
    public double Eps { get; init; } = 1e-4;
    public int NStats { get; init; } = 51;

    /// <summary>The generator's first feature map is 4×4 with 16 × channel_width channels (fixed in the reference).</summary>
    public const int BottomMultiplier = 16;

    /// <summary>Reads and checks a config.json.</summary>
    /// <exception cref="InvalidDataException">the file is not such a config, naming the field.</exception>
    public static HuggingFaceBigGanConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Hugging Face BigGAN config not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            int Int(string name, int fallback) => root.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
            var layers = new List<HuggingFaceLayer>();
            if (!root.TryGetProperty("layers", out var ls) || ls.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: 'layers' is missing or not a list of [upsample, in, out]");
            foreach (var l in ls.EnumerateArray())
            {
                if (l.ValueKind != JsonValueKind.Array || l.GetArrayLength() != 3)
                    throw new InvalidDataException($"{path}: 'layers' entry {l} is not [upsample, in, out]");
                layers.Add(new HuggingFaceLayer(l[0].GetBoolean(), l[1].GetInt32(), l[2].GetInt32()));
            }
            return new HuggingFaceBigGanConfig
            {
                OutputDim = Int("output_dim", 128),
                ZDim = Int("z_dim", 128),
                ChannelWidth = Int("channel_width", 128),
                NumClasses = Int("num_classes", 1000),
                Layers = layers,
                AttentionLayerPosition = Int("attention_layer_position", 8),
                Eps = root.TryGetProperty("eps", out var e) ? e.GetDouble() : 1e-4,
                NStats = Int("n_stats", 51),
            }.Validate(path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a Hugging Face BigGAN config.json: {e.Message}", e);
        }
    }

    /// <summary>Checks the configuration; <paramref name="source"/> names it in messages.</summary>
    public HuggingFaceBigGanConfig Validate(string source)
    {
        void Require(bool ok, string what) { if (!ok) throw new InvalidDataException($"{source}: {what}"); }
        Require(ZDim > 0 && NumClasses > 0 && NStats >= 2 && Eps > 0, "z_dim, num_classes must be positive, n_stats at least 2, eps > 0");
        Require(ChannelWidth >= 3, $"channel_width {ChannelWidth}: the output conv keeps its first 3 channels, so at least 3");
        Require(Layers.Count > 0, "'layers' is empty");
        Require(Layers[0].InMultiplier == BottomMultiplier, $"the first layer takes {Layers[0].InMultiplier} × channel_width, but the first feature map has {BottomMultiplier} ×");
        Require(Layers[^1].OutMultiplier == 1, $"the last layer gives {Layers[^1].OutMultiplier} × channel_width, but the output batch norm takes 1 ×");
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            Require(l.InMultiplier > 0 && l.OutMultiplier > 0 && ChannelWidth * l.InMultiplier / 4 > 0, $"layer {i} has no channels");
            if (i > 0) Require(l.InMultiplier == Layers[i - 1].OutMultiplier, $"layer {i} takes {l.InMultiplier} × channel_width after a layer giving {Layers[i - 1].OutMultiplier} ×");
            Require(l.OutMultiplier == l.InMultiplier || 2 * l.OutMultiplier == l.InMultiplier, $"layer {i} goes from {l.InMultiplier} to {l.OutMultiplier}: its shortcut keeps all or half of the channels");
        }
        var ups = Layers.Count(l => l.UpSample);
        Require(OutputDim == 4 << ups, $"output_dim {OutputDim}, but {ups} upsampling layers from 4×4 give {4 << ups}");
        if (HasAttention) Require(ChannelWidth * Layers[AttentionLayerPosition].InMultiplier >= 8, "attention needs at least 8 channels (it projects to channels / 8)");
        return this;
    }

    /// <summary>Whether there is an attention layer (before layer <see cref="AttentionLayerPosition"/>).</summary>
    public bool HasAttention => AttentionLayerPosition >= 0 && AttentionLayerPosition < Layers.Count;
}
