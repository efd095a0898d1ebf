using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>The transformations of DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN
/// Training", NeurIPS 2020), any subset.</summary>
[Flags]
public enum DiffAugmentPolicy
{
    None = 0,

    /// <summary>Random brightness (± 0.5), saturation (× [0, 2]) and contrast (× [0.5, 1.5]) per image.</summary>
    Color = 1,

    /// <summary>A random shift of up to 1/8 of the image size in each direction per image, zeros filling in.</summary>
    Translation = 2,

    /// <summary>A random square of half the image size set to zero per image (clipped at the borders).</summary>
    Cutout = 4,
}

/// <summary>
/// DiffAugment: differentiable augmentations applied to every image D sees, real and fake, in D steps and G steps
/// alike, so that D cannot overfit a small data set while G still gets gradients through the augmentation. Images
/// are float [N, C, H, W] in [-1, 1]; each image draws its own parameters. The parameters come from the given
/// generator so that a run replays bit-exactly; in data-parallel runs each rank passes its shard position so that the
/// ranks together draw what one process would draw for the whole batch.
/// </summary>
public static class DiffAugment
{
    private const double TranslationRatio = 0.125, CutoutRatio = 0.5;

    /// <summary>Parses "color,translation,cutout" (any subset, any order; "" or "none" for none).</summary>
    public static DiffAugmentPolicy Parse(string? text)
    {
        var policy = DiffAugmentPolicy.None;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return policy;
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            policy |= item.ToLowerInvariant() switch
            {
                "color" => DiffAugmentPolicy.Color,
                "translation" => DiffAugmentPolicy.Translation,
                "cutout" => DiffAugmentPolicy.Cutout,
                _ => throw new ArgumentException($"DiffAugment policy \"{item}\" is unknown; expected a comma-separated subset of color, translation, cutout (or none)", nameof(text)),
            };
        }
        return policy;
    }

    /// <summary>The text <see cref="Parse"/> reads back ("none" or e.g. "color,translation").</summary>
    public static string Format(DiffAugmentPolicy policy)
    {
        if (policy == DiffAugmentPolicy.None) return "none";
        var names = new List<string>();
        if (policy.HasFlag(DiffAugmentPolicy.Color)) names.Add("color");
        if (policy.HasFlag(DiffAugmentPolicy.Translation)) names.Add("translation");
        if (policy.HasFlag(DiffAugmentPolicy.Cutout)) names.Add("cutout");
        return string.Join(",", names);
    }

    /// <summary>
    /// The augmented images (a new tensor; <paramref name="images"/> itself when the policy is None). Color, then
    /// translation, then cutout, as the paper. <paramref name="shardIndex"/> of <paramref name="shardCount"/>: this
    /// batch holds rows shardIndex, shardIndex + shardCount, … of a global batch of <c>N × shardCount</c> images (the
    /// layout of <see cref="DataParallel.Shard"/>), whose parameters are all drawn here.
    /// </summary>
    public static Tensor Apply(Tensor images, DiffAugmentPolicy policy, torch.Generator generator, int shardIndex = 0, int shardCount = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(generator);
        if (images.dim() != 4) throw new ArgumentException($"images must be [N, C, H, W]; got [{string.Join(", ", images.shape)}]", nameof(images));
        if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
            throw new ArgumentOutOfRangeException(nameof(shardIndex), $"shard {shardIndex} of {shardCount}");
        if (policy == DiffAugmentPolicy.None) return images;
        using var scope = torch.NewDisposeScope();
        var draw = new Draw(images.shape[0], shardIndex, shardCount, generator);
        var x = images;
        if (policy.HasFlag(DiffAugmentPolicy.Color)) x = Color(x, draw);
        if (policy.HasFlag(DiffAugmentPolicy.Translation)) x = Translation(x, draw);
        if (policy.HasFlag(DiffAugmentPolicy.Cutout)) x = Cutout(x, draw);
        return x.MoveToOuterDisposeScope();
    }

    private static Tensor Color(Tensor x, Draw draw)
    {
        x = x + (draw.Uniform() - 0.5);                                       // brightness
        var channelMean = x.mean([1], keepdim: true);
        x = (x - channelMean) * (draw.Uniform() * 2) + channelMean;           // saturation
        var imageMean = x.mean([1, 2, 3], keepdim: true);
        return (x - imageMean) * (draw.Uniform() + 0.5) + imageMean;          // contrast
    }

    // out[i, j] = x[i + dy, j + dx], zero outside: a gather from a zero-padded copy, clamped onto its border.
    private static Tensor Translation(Tensor x, Draw draw)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        long sy = (long)(h * TranslationRatio + 0.5), sx = (long)(w * TranslationRatio + 0.5);
        var dy = draw.Integers(-sy, sy + 1).view(n, 1, 1);
        var dx = draw.Integers(-sx, sx + 1).view(n, 1, 1);
        var rows = (torch.arange(h).view(1, h, 1) + dy + 1).clamp(0, h + 1);
        var cols = (torch.arange(w).view(1, 1, w) + dx + 1).clamp(0, w + 1);
        var batch = torch.arange(n).view(n, 1, 1);
        var flat = (batch * ((h + 2) * (w + 2)) + rows * (w + 2) + cols).reshape(-1);
        var padded = torch.nn.functional.pad(x, [1, 1, 1, 1]);
        var pixels = padded.permute(0, 2, 3, 1).reshape(-1, c).index_select(0, flat);
        return pixels.view(n, h, w, c).permute(0, 3, 1, 2);
    }

    // A size × size square centred at a random pixel (rows [cy − size/2, cy − size/2 + size)), clipped to the image.
    private static Tensor Cutout(Tensor x, Draw draw)
    {
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        long sizeY = (long)(h * CutoutRatio + 0.5), sizeX = (long)(w * CutoutRatio + 0.5);
        var top = (draw.Integers(0, h + (1 - sizeY % 2)) - sizeY / 2).view(n, 1, 1);
        var left = (draw.Integers(0, w + (1 - sizeX % 2)) - sizeX / 2).view(n, 1, 1);
        var rows = torch.arange(h).view(1, h, 1);
        var cols = torch.arange(w).view(1, 1, w);
        var inside = rows.ge(top).logical_and(rows.lt(top + sizeY)).logical_and(cols.ge(left)).logical_and(cols.lt(left + sizeX));
        return x * inside.logical_not().to(x.dtype).unsqueeze(1);
    }

    // Per-image random numbers for this shard's slice of the global batch.
    private sealed record Draw(long N, int ShardIndex, int ShardCount, torch.Generator Generator)
    {
        public Tensor Uniform() =>
            Slice(torch.rand([N * ShardCount], generator: Generator)).view(N, 1, 1, 1);

        public Tensor Integers(long low, long high) =>
            Slice(torch.randint(low, high, [N * ShardCount], generator: Generator));

        private Tensor Slice(Tensor all) => all.slice(0, ShardIndex, N * ShardCount, ShardCount);
    }
}
