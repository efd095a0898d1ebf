using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace BigGan.Training.Model;

/// <summary>
/// Everything that fixes the shapes and numerics of a BigGAN generator/discriminator pair. Defaults follow
/// BigGAN-PyTorch's argparse defaults (G_ch = D_ch = 64, dim_z 128, BN eps 1e-5, SN eps 1e-8, one singular value,
/// one power iteration, wide D, orthogonal init) except attention, which is off unless listed (the reference default
/// "64" does not exist at every resolution). <see cref="Validate"/> throws an <see cref="ArgumentException"/> naming
/// the offending field; the Generator and Discriminator constructors call it.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Output (and input) image size: 32, 64, 128, 256 or 512.</summary>
    public int Resolution { get; init; } = 32;

    /// <summary>Image channels: 1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; init; } = 3;

    public int NumClasses { get; init; } = 10;

    /// <summary>Generator width multiplier (G_ch).</summary>
    public int GCh { get; init; } = 64;

    /// <summary>Discriminator width multiplier (D_ch).</summary>
    public int DCh { get; init; } = 64;

    /// <summary>Latent size. With <see cref="Hierarchical"/> it must split into (G blocks + 1) equal chunks.</summary>
    public int DimZ { get; init; } = 128;

    /// <summary>Size of the shared class embedding; 0 means <see cref="DimZ"/>. Used only with <see cref="SharedEmbedding"/>.</summary>
    public int SharedDim { get; init; }

    /// <summary>One class embedding (plain, not spectrally normalised) shared by every conditional BN, whose gain and
    /// bias are then SN linear maps; off means per-class gain and bias tables in every conditional BN.</summary>
    public bool SharedEmbedding { get; init; }

    /// <summary>Skip-z: z is split into chunks, chunk 0 feeds the first linear and chunk i (with the class embedding)
    /// conditions block i. Needs <see cref="SharedEmbedding"/>.</summary>
    public bool Hierarchical { get; init; }

    /// <summary>Generator block output resolutions followed by self-attention (e.g. [64]); empty for none.</summary>
    public IReadOnlyList<int> GAttention { get; init; } = [];

    /// <summary>Discriminator block output resolutions followed by self-attention; empty for none.</summary>
    public IReadOnlyList<int> DAttention { get; init; } = [];

    /// <summary>Weight init of G's conv, linear and embedding layers: orthogonal (the paper), N(0, 0.02) or Xavier.</summary>
    public Init GInit { get; init; } = Init.Ortho;

    /// <summary>Weight init of D's conv, linear and embedding layers: orthogonal (the paper), N(0, 0.02) or Xavier.</summary>
    public Init DInit { get; init; } = Init.Ortho;

    /// <summary>Batch-norm epsilon of the conditional BNs (G's output BN keeps 1e-5, as in the reference).</summary>
    public double BnEps { get; init; } = 1e-5;

    /// <summary>Spectral-norm epsilon (1e-8 as the reference's argparse; its ImageNet scripts use 1e-6).</summary>
    public double SnEps { get; init; } = 1e-8;

    /// <summary>Singular values tracked per G spectral-norm layer (only the first normalises; the rest are logged).</summary>
    public int NumGSvs { get; init; } = 1;

    /// <summary>Singular values tracked per D spectral-norm layer (only the first normalises; the rest are logged).</summary>
    public int NumDSvs { get; init; } = 1;

    /// <summary>Power iterations per training forward in G's spectral-norm layers.</summary>
    public int NumGSvItrs { get; init; } = 1;

    /// <summary>Power iterations per training forward in D's spectral-norm layers.</summary>
    public int NumDSvItrs { get; init; } = 1;

    /// <summary>Wide D blocks (hidden = out channels, BigGAN/SA-GAN) rather than thin (hidden = in, SN-GAN).</summary>
    public bool DWide { get; init; } = true;

    /// <summary>BigGAN-deep (BigGANdeep.py): bottleneck blocks, <see cref="GDepth"/>/<see cref="DDepth"/> blocks per
    /// resolution, the whole z concatenated with the shared embedding (needs SharedEmbedding and Hierarchical, as the
    /// reference), an input conv in D. Resolutions 32 to 256.</summary>
    public bool Deep { get; init; }

    /// <summary>Generator blocks per resolution stage in BigGAN-deep (the last one upsamples).</summary>
    public int GDepth { get; init; } = 2;

    /// <summary>Discriminator blocks per resolution stage in BigGAN-deep (the first one widens and pools).</summary>
    public int DDepth { get; init; } = 2;

    /// <summary>The class-embedding size actually used: <see cref="SharedDim"/>, or <see cref="DimZ"/> when that is 0.</summary>
    [JsonIgnore]
    public int ResolvedSharedDim => SharedDim > 0 ? SharedDim : DimZ;

    /// <summary>Number of generator residual blocks at this resolution.</summary>
    [JsonIgnore]
    public int GeneratorDepth => ArchitectureTable.GeneratorDepth(Resolution);

    /// <summary>Chunks z is split into: G blocks + 1 with <see cref="Hierarchical"/> (BigGAN), else 1 (BigGAN-deep
    /// feeds the whole z everywhere).</summary>
    [JsonIgnore]
    public int NumZChunks => Hierarchical && !Deep ? GeneratorDepth + 1 : 1;

    /// <summary>
    /// The reference CIFAR script (launch_cifar_ema.sh): 32×32, ch 64, dim_z 128, no attention, no shared embedding
    /// (per-class cBN tables), single z, N(0, 0.02) init, SN eps 1e-8, BN eps 1e-5.
    /// </summary>
    public static ModelConfig Cifar(int numClasses = 10, int channels = 3, int ch = 64) => new()
    {
        Resolution = 32,
        Channels = channels,
        NumClasses = numClasses,
        GCh = ch,
        DCh = ch,
        DimZ = 128,
        SharedEmbedding = false,
        Hierarchical = false,
        GAttention = [],
        DAttention = [],
        GInit = Init.N02,
        DInit = Init.N02,
        SnEps = 1e-8,
    };

    /// <summary>
    /// The reference ImageNet 128×128 model (launch_BigGAN_bs256x8.sh): ch 96, shared embedding 128, hierarchical
    /// z of 120 (6 chunks of 20), attention at 64 in G and D, orthogonal init, SN eps 1e-6.
    /// </summary>
    public static ModelConfig ImageNet128(int numClasses = 1000) => new()
    {
        Resolution = 128,
        Channels = 3,
        NumClasses = numClasses,
        GCh = 96,
        DCh = 96,
        DimZ = 120,
        SharedDim = 128,
        SharedEmbedding = true,
        Hierarchical = true,
        GAttention = [64],
        DAttention = [64],
        GInit = Init.Ortho,
        DInit = Init.Ortho,
        SnEps = 1e-6,
    };

    // Upper bounds far above any published BigGAN (ch 96–128, dim_z 120–128, 1000 classes, 2 svs, depth 2), checked
    // before anything is built: a configuration read from a file can claim any size, and the widest layer grows with
    // the square of the channel multiplier (g-ch 3000 alone needs gigabytes).

    /// <summary>The largest G_ch / D_ch accepted.</summary>
    public const int MaxChannelMultiplier = 1024;

    /// <summary>The largest number of classes accepted (ImageNet-21k has 21,841).</summary>
    public const int MaxClasses = 100_000;

    /// <summary>The largest dim_z and shared embedding size accepted.</summary>
    public const int MaxLatentSize = 4096;

    /// <summary>The most singular values tracked, power iterations, or BigGAN-deep blocks per stage accepted.</summary>
    public const int MaxSmallCount = 64;

    /// <summary>Checks every field; returns this so it chains. Throws <see cref="ArgumentException"/> naming the field.</summary>
    public ModelConfig Validate()
    {
        if (!ArchitectureTable.Resolutions.Contains(Resolution))
            Fail(nameof(Resolution), $"is {Resolution}; expected one of {string.Join(", ", ArchitectureTable.Resolutions)}");
        if (Channels is not (1 or 3))
            Fail(nameof(Channels), $"is {Channels}; expected 1 (grayscale) or 3 (RGB)");
        InRange(nameof(NumClasses), NumClasses, MaxClasses);
        InRange(nameof(GCh), GCh, MaxChannelMultiplier);
        InRange(nameof(DCh), DCh, MaxChannelMultiplier);
        InRange(nameof(DimZ), DimZ, MaxLatentSize);
        if (SharedDim < 0 || SharedDim > MaxLatentSize)
            Fail(nameof(SharedDim), $"is {SharedDim}; expected 0 (same as DimZ) or a positive size of at most {MaxLatentSize}");
        if (Hierarchical && !SharedEmbedding)
            Fail(nameof(Hierarchical), "needs SharedEmbedding = true (the z chunks are concatenated with the shared class embedding)");
        if (Hierarchical && DimZ % NumZChunks != 0)
        {
            var down = DimZ / NumZChunks * NumZChunks;
            Fail(nameof(DimZ), $"is {DimZ}, which does not split into {NumZChunks} equal chunks ({GeneratorDepth} blocks + 1) for the hierarchical latent at resolution {Resolution}; " +
                $"use a multiple of {NumZChunks} such as {(down > 0 ? down : NumZChunks)} (the reference silently rounds down to that)");
        }
        if (!(BnEps > 0) || double.IsInfinity(BnEps))
            Fail(nameof(BnEps), $"is {BnEps}; expected a small positive number such as 1e-5");
        if (!(SnEps > 0) || double.IsInfinity(SnEps))
            Fail(nameof(SnEps), $"is {SnEps}; expected a small positive number such as 1e-8");
        if (Deep)
        {
            if (!ArchitectureTable.DeepResolutions.Contains(Resolution))
                Fail(nameof(Resolution), $"is {Resolution}; BigGAN-deep has tables for {string.Join(", ", ArchitectureTable.DeepResolutions)}");
            if (!SharedEmbedding || !Hierarchical)
                Fail(nameof(Deep), "needs SharedEmbedding = true and Hierarchical = true (BigGAN-deep concatenates the whole z with the shared class embedding)");
            InRange(nameof(GDepth), GDepth, MaxSmallCount);
            InRange(nameof(DDepth), DDepth, MaxSmallCount);
            if (ArchitectureTable.Generator(Resolution, GCh).Min(b => b.InChannels) < 4)
                Fail(nameof(GCh), $"is {GCh}; BigGAN-deep G blocks need at least 4 input channels (hidden = in / 4) at resolution {Resolution}");
            if (ArchitectureTable.DeepDiscriminator(Resolution, DCh).Min(b => b.OutChannels) < 4)
                Fail(nameof(DCh), $"is {DCh}; BigGAN-deep D blocks need at least 4 output channels (hidden = out / 4) at resolution {Resolution}");
        }
        InRange(nameof(NumGSvs), NumGSvs, MaxSmallCount);
        InRange(nameof(NumDSvs), NumDSvs, MaxSmallCount);
        InRange(nameof(NumGSvItrs), NumGSvItrs, MaxSmallCount);
        InRange(nameof(NumDSvItrs), NumDSvItrs, MaxSmallCount);

        CheckAttention(nameof(GAttention), GAttention, ArchitectureTable.Generator(Resolution, GCh).Select(b => (b.OutputResolution, b.OutChannels)));
        var dBlocks = Deep ? ArchitectureTable.DeepDiscriminator(Resolution, DCh) : ArchitectureTable.Discriminator(Resolution, DCh, Channels);
        CheckAttention(nameof(DAttention), DAttention, dBlocks.Select(b => (b.OutputResolution, b.OutChannels)));
        return this;
    }

    private static void CheckAttention(string field, IReadOnlyList<int>? resolutions, IEnumerable<(int res, int channels)> blocks)
    {
        if (resolutions is null) Fail(field, "is null; use an empty list for no attention");
        var available = blocks.ToList();
        var seen = new HashSet<int>();
        foreach (var r in resolutions!)
        {
            if (!seen.Add(r)) Fail(field, $"lists resolution {r} twice");
            var at = available.Where(b => b.res == r).ToList();
            if (at.Count == 0)
                Fail(field, $"lists resolution {r}, but no block outputs that resolution; expected some of {string.Join(", ", available.Select(b => b.res).Distinct())}");
            foreach (var (_, c) in at)
                if (c < 8)
                    Fail(field, $"puts attention at resolution {r} on {c} channels; self-attention needs at least 8 (it projects to channels / 8), so widen the model or drop that resolution");
            if (r < 2) Fail(field, $"lists resolution {r}; attention max-pools 2×2 and needs at least 2");
        }
    }

    private static void InRange(string field, int value, int max)
    {
        if (value < 1) Fail(field, $"is {value}; expected at least 1");
        if (value > max) Fail(field, $"is {value}; expected at most {max} (a sanity limit: far above any published BigGAN)");
    }

    /// <summary>
    /// A lower bound on the generator's parameter count: the weights of its block convolutions alone, from the
    /// architecture table, without building anything. A weights file holding fewer values than this cannot belong to
    /// this configuration. Call on a validated configuration.
    /// </summary>
    public long MinimumGeneratorParameters()
    {
        long total = 0;
        foreach (var b in ArchitectureTable.Generator(Resolution, GCh))
        {
            long i = b.InChannels, o = b.OutChannels, hidden = i / 4;
            total += Deep
                ? i * hidden + 2 * 9 * hidden * hidden + hidden * o // one bottleneck block per stage (there are GDepth)
                : 9 * (i * o + o * o) + i * o;                       // conv1, conv2, conv_sc
        }
        return total;
    }

    private static void Fail(string field, string message) =>
        throw new ArgumentException($"ModelConfig.{field} {message}", field);

    // ---- JSON (config.json's "model" section, checkpoint and ONNX metadata) ----

    /// <summary>Field names as the command-line options (<c>g-ch</c>, <c>shared-embedding</c>), enum values in
    /// lower case (<c>n02</c>), unknown fields are errors: the same rules as the training section.</summary>
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    /// <summary>Runs written before the model section took those names used the property names as declared (GCh).</summary>
    private static readonly JsonSerializerOptions LegacyJsonOptions = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a config written by <see cref="ToJson"/> (missing fields take their defaults, unknown ones are
    /// errors; the declared-name form of earlier versions is read too) and validates it.</summary>
    public static ModelConfig FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelConfig? config;
        try
        {
            var legacy = JsonNode.Parse(json) is JsonObject o && o.Any(p => p.Key.Length > 0 && char.IsUpper(p.Key[0]));
            config = JsonSerializer.Deserialize<ModelConfig>(json, legacy ? LegacyJsonOptions : JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"model config JSON is malformed: {e.Message}", nameof(json), e);
        }
        return (config ?? throw new ArgumentException("model config JSON is 'null'", nameof(json))).Validate();
    }

    // ---- equality: attention lists compare as sets, not by reference ----

    public bool Equals(ModelConfig? other) =>
        other is not null &&
        Resolution == other.Resolution && Channels == other.Channels && NumClasses == other.NumClasses &&
        GCh == other.GCh && DCh == other.DCh && DimZ == other.DimZ && SharedDim == other.SharedDim &&
        SharedEmbedding == other.SharedEmbedding && Hierarchical == other.Hierarchical &&
        SameSet(GAttention, other.GAttention) && SameSet(DAttention, other.DAttention) &&
        GInit == other.GInit && DInit == other.DInit && BnEps == other.BnEps && SnEps == other.SnEps &&
        NumGSvs == other.NumGSvs && NumDSvs == other.NumDSvs && NumGSvItrs == other.NumGSvItrs && NumDSvItrs == other.NumDSvItrs &&
        DWide == other.DWide && Deep == other.Deep && GDepth == other.GDepth && DDepth == other.DDepth;

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Resolution); h.Add(Channels); h.Add(NumClasses); h.Add(GCh); h.Add(DCh); h.Add(DimZ); h.Add(SharedDim);
        h.Add(SharedEmbedding); h.Add(Hierarchical); h.Add(GInit); h.Add(DInit); h.Add(BnEps); h.Add(SnEps);
        h.Add(NumGSvs); h.Add(NumDSvs); h.Add(NumGSvItrs); h.Add(NumDSvItrs); h.Add(DWide); h.Add(Deep); h.Add(GDepth); h.Add(DDepth);
        foreach (var r in (GAttention ?? []).Order()) h.Add(r);
        h.Add(-1);
        foreach (var r in (DAttention ?? []).Order()) h.Add(r);
        return h.ToHashCode();
    }

    private static bool SameSet(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        (a ?? []).Order().SequenceEqual((b ?? []).Order());
}
