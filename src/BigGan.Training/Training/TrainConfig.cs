using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BigGan.Training.Training;

/// <summary>Adam's (β1, β2); serialized as a two-number JSON array, like PyTorch's <c>betas</c> tuple.</summary>
[JsonConverter(typeof(AdamBetasJsonConverter))]
public readonly record struct AdamBetas(double Beta1, double Beta2)
{
    /// <summary>BigGAN's (0, 0.999).</summary>
    public static AdamBetas BigGan => new(0, 0.999);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Beta1}, {Beta2})");
}

internal sealed class AdamBetasJsonConverter : JsonConverter<AdamBetas>
{
    public override AdamBetas Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Adam betas must be an array of two numbers, e.g. [0, 0.999]");
        var values = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("Adam betas must be an array of two numbers, e.g. [0, 0.999]");
            values.Add(reader.GetDouble());
        }
        if (values.Count != 2) throw new JsonException($"Adam betas must be an array of two numbers, got {values.Count}");
        return new AdamBetas(values[0], values[1]);
    }

    public override void Write(Utf8JsonWriter writer, AdamBetas value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Beta1);
        writer.WriteNumberValue(value.Beta2);
        writer.WriteEndArray();
    }
}

/// <summary>
/// Every training hyperparameter of BigGAN (the model's shape lives in the model configuration). Defaults follow the
/// reference's CIFAR script (launch_cifar_ema.sh) where the brief does not say otherwise: equal learning rates 2e-4,
/// Adam betas (0, 0.999), 2 D steps per G step, EMA 0.9999 from step 1000. JSON uses the command-line option names
/// (<see cref="JsonOptions"/>); unknown fields are errors. <see cref="Validate"/> names the offending field.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Data source: an image folder, an idx file, a CIFAR binary folder, or a named dataset ("fashion-mnist").</summary>
    public string? Data { get; init; }

    /// <summary>Channels the images are converted to (1: BT.601 luma, 3: RGB, gray repeated); 0 keeps the data set's own.
    /// BigGAN-PyTorch always trains on 3 channels, gray data included.</summary>
    public int DataChannels { get; init; }

    /// <summary>Skip (and count) images that cannot be decoded instead of failing.</summary>
    public bool SkipBadImages { get; init; }

    /// <summary>Largest width × height of an image decoded from an image folder (checked before decoding; Pillow's default).</summary>
    public long MaxImagePixels { get; init; } = IO.ImageCodec.DefaultMaxPixels;

    /// <summary>Random horizontal flips of the real images.</summary>
    public bool HFlip { get; init; }

    /// <summary>GAN loss: the paper's hinge loss, or the non-saturating one.</summary>
    public LossKind Loss { get; init; } = LossKind.Hinge;

    /// <summary>G's Adam learning rate (5e-5 in the paper's ImageNet runs, 2e-4 in the reference's CIFAR script).</summary>
    public double GLr { get; init; } = 2e-4;

    /// <summary>D's Adam learning rate (2e-4 in the paper).</summary>
    public double DLr { get; init; } = 2e-4;

    /// <summary>G's Adam (β1, β2): the paper's (0, 0.999).</summary>
    public AdamBetas GBetas { get; init; } = AdamBetas.BigGan;

    /// <summary>D's Adam (β1, β2): the paper's (0, 0.999).</summary>
    public AdamBetas DBetas { get; init; } = AdamBetas.BigGan;

    /// <summary>Adam's ε: 1e-8 (reference default), 1e-6 in the reference's ImageNet script.</summary>
    public double AdamEps { get; init; } = 1e-8;

    /// <summary>D updates per G update.</summary>
    public int DSteps { get; init; } = 2;

    /// <summary>Gradient accumulations per G update (each loss divided by the count): larger effective G batches.</summary>
    public int GAccumulations { get; init; } = 1;

    /// <summary>Gradient accumulations per D update (each loss divided by the count): larger effective D batches.</summary>
    public int DAccumulations { get; init; } = 1;

    /// <summary>Real (and fake) images per D accumulation; in a data-parallel run the global batch of all processes
    /// together (each takes BatchSize / processes).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Samples per G accumulation; 0 means <see cref="BatchSize"/>. The effective value is max(GBatchSize, BatchSize), as in the reference.</summary>
    public int GBatchSize { get; init; }

    /// <summary>Keep an EMA copy of G and use it for samples and metrics.</summary>
    public bool UseEma { get; init; } = true;

    /// <summary>Decay of the EMA of G's weights and batch-norm statistics (the paper's 0.9999).</summary>
    public double EmaDecay { get; init; } = 0.9999;

    /// <summary>Before this step the EMA copy equals G exactly.</summary>
    public long EmaStart { get; init; } = 1000;

    /// <summary>Modified orthogonal regularization strength β for G (0 = off; the paper's value is 1e-4; the shared embedding is exempt). See <see cref="OrthogonalRegularization"/>.</summary>
    public double GOrtho { get; init; }

    /// <summary>Modified orthogonal regularization strength β for D (0 = off; the paper applies it to G only).</summary>
    public double DOrtho { get; init; }

    /// <summary>G updates to run in total.</summary>
    public long Iterations { get; init; } = 20_000;

    /// <summary>Seed of the weight init, latents, class draws and data order (a run is reproducible from it on one thread).</summary>
    public ulong Seed { get; init; }

    /// <summary>libtorch intra-op threads; 0 leaves libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Data-parallel runs (several processes): G's batch norms normalise with the statistics of the global batch
    /// (cross-replica BN, as in the paper), so W processes × batch B/W train like one process × batch B. Off: each
    /// process normalises with its own share (less communication, not the same computation). Ignored with one process.
    /// </summary>
    public bool CrossReplicaBn { get; init; } = true;

    /// <summary>Stop (with a checkpoint) after this many minutes of training; 0 means no time limit.</summary>
    public double MaxMinutes { get; init; }

    /// <summary>Checkpoint every this many G updates (and at the end).</summary>
    public long SaveEvery { get; init; } = 2000;

    /// <summary>Rotating checkpoint copies to keep.</summary>
    public int NumSaveCopies { get; init; } = 2;

    /// <summary>Copies of the best checkpoint (by the chosen metric) to keep.</summary>
    public int NumBestCopies { get; init; } = 1;

    /// <summary>Write a log line every this many steps.</summary>
    public long LogEvery { get; init; } = 1;

    /// <summary>Log the top singular value of every spectrally normalised layer every this many steps; 0 = never.</summary>
    public long SvLogEvery { get; init; } = 10;

    /// <summary>Sampling from this run (sheets, biggan sample, evaluate) uses standing statistics by default: G's BN
    /// statistics recomputed over <see cref="NumStandingAccumulations"/> train-mode passes instead of the running ones.</summary>
    public bool StandingStats { get; init; }

    /// <summary>Train-mode generator passes averaged into the standing statistics.</summary>
    public int NumStandingAccumulations { get; init; } = 16;

    /// <summary>Score G_ema by FID every this many steps and keep the best checkpoint by it; 0 = never.</summary>
    public long EvalEvery { get; init; }

    /// <summary>The feature network for <see cref="EvalEvery"/> (from <c>biggan evaluate train-classifier</c>).</summary>
    public string? EvalClassifier { get; init; }

    /// <summary>Generated images per class for each evaluation.</summary>
    public int EvalPerClass { get; init; } = 100;

    /// <summary>DiffAugment (Zhao et al. 2020) on every image D sees, real and fake, in D and G steps: a comma-separated
    /// subset of color, translation, cutout, or none.</summary>
    public string Diffaug { get; init; } = "none";

    /// <summary>LeCam regularization weight λ (Tseng et al. 2021) on D's outputs; 0 = off.</summary>
    public double Lecam { get; init; }

    /// <summary>Decay of the moving averages of D's outputs that LeCam regularization pulls towards.</summary>
    public double LecamDecay { get; init; } = 0.99;

    /// <summary>Step from which the LeCam averages decay (before it they follow the latest batch).</summary>
    public long LecamStart { get; init; } = 1000;

    /// <summary>What a detected training collapse does (<see cref="CollapseDetector"/>): log, stop, or rollback (to the
    /// last checkpoint before the onset, learning rates × <see cref="CollapseLrFactor"/>, at most 3 times).</summary>
    public CollapseAction OnCollapse { get; init; } = CollapseAction.Log;

    /// <summary>Steps of history the collapse rules compare against (and none decides before it has been seen).</summary>
    public int CollapseWindow { get; init; } = 200;

    /// <summary>Factor applied to both learning rates at each collapse rollback.</summary>
    public double CollapseLrFactor { get; init; } = 0.5;

    /// <summary>The parsed <see cref="Diffaug"/>.</summary>
    [JsonIgnore]
    public DiffAugmentPolicy DiffAugmentPolicy => DiffAugment.Parse(Diffaug);

    /// <summary>max(GBatchSize, BatchSize), the number of samples per G accumulation.</summary>
    [JsonIgnore]
    public int EffectiveGBatchSize => Math.Max(GBatchSize, BatchSize);

    /// <summary>
    /// Kebab-case names, the same as the <c>biggan train</c> options ("g-lr", "d-steps", "ema-start"), enums as kebab-case
    /// strings ("hinge", "non-saturating"), indented, unknown fields rejected (a typo is an error, not a silent default).
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    /// <summary>Every problem found, each naming the field (empty when the config is valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Require(bool ok, string field, object value, string expected)
        {
            if (!ok) errors.Add(string.Create(CultureInfo.InvariantCulture, $"{field} = {value} is invalid: expected {expected}"));
        }
        Require(double.IsFinite(GLr) && GLr > 0, nameof(GLr), GLr, "a learning rate > 0");
        Require(double.IsFinite(DLr) && DLr > 0, nameof(DLr), DLr, "a learning rate > 0");
        Require(GBetas.Beta1 >= 0 && GBetas.Beta1 < 1 && GBetas.Beta2 >= 0 && GBetas.Beta2 < 1, nameof(GBetas), GBetas, "both betas in [0, 1)");
        Require(DBetas.Beta1 >= 0 && DBetas.Beta1 < 1 && DBetas.Beta2 >= 0 && DBetas.Beta2 < 1, nameof(DBetas), DBetas, "both betas in [0, 1)");
        Require(double.IsFinite(AdamEps) && AdamEps > 0, nameof(AdamEps), AdamEps, "a number > 0 (1e-8 or 1e-6)");
        Require(DSteps >= 1, nameof(DSteps), DSteps, "at least 1 D step per G step");
        Require(GAccumulations >= 1, nameof(GAccumulations), GAccumulations, "at least 1");
        Require(DAccumulations >= 1, nameof(DAccumulations), DAccumulations, "at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "at least 1");
        Require(GBatchSize >= 0, nameof(GBatchSize), GBatchSize, "0 (same as BatchSize) or a positive size");
        Require(EmaDecay >= 0 && EmaDecay < 1, nameof(EmaDecay), EmaDecay, "a decay in [0, 1)");
        Require(EmaStart >= 0, nameof(EmaStart), EmaStart, "a step >= 0");
        Require(double.IsFinite(GOrtho) && GOrtho >= 0, nameof(GOrtho), GOrtho, "a strength >= 0 (0 = off, 1e-4 in the paper)");
        Require(double.IsFinite(DOrtho) && DOrtho >= 0, nameof(DOrtho), DOrtho, "a strength >= 0 (0 = off, 1e-4 in the paper)");
        Require(Iterations >= 1, nameof(Iterations), Iterations, "at least 1");
        Require(Threads >= 0, nameof(Threads), Threads, "0 (libtorch default) or a positive thread count");
        Require(double.IsFinite(MaxMinutes) && MaxMinutes >= 0, nameof(MaxMinutes), MaxMinutes, "0 (no limit) or a positive number of minutes");
        Require(SaveEvery >= 1, nameof(SaveEvery), SaveEvery, "at least 1");
        Require(NumSaveCopies >= 1, nameof(NumSaveCopies), NumSaveCopies, "at least 1");
        Require(NumBestCopies >= 1, nameof(NumBestCopies), NumBestCopies, "at least 1");
        Require(LogEvery >= 1, nameof(LogEvery), LogEvery, "at least 1");
        Require(SvLogEvery >= 0, nameof(SvLogEvery), SvLogEvery, "0 (never) or a positive interval");
        Require(NumStandingAccumulations >= 1, nameof(NumStandingAccumulations), NumStandingAccumulations, "at least 1");
        Require(EvalEvery >= 0, nameof(EvalEvery), EvalEvery, "0 (never) or a positive interval");
        Require(EvalEvery == 0 || !string.IsNullOrWhiteSpace(EvalClassifier), nameof(EvalClassifier), "\"" + EvalClassifier + "\"", "a classifier file when EvalEvery > 0");
        Require(EvalPerClass >= 1, nameof(EvalPerClass), EvalPerClass, "at least 1");
        try { DiffAugment.Parse(Diffaug); }
        catch (ArgumentException e) { errors.Add($"{nameof(Diffaug)} = \"{Diffaug}\" is invalid: {e.Message.Split(" (Parameter")[0]}"); }
        Require(double.IsFinite(Lecam) && Lecam >= 0, nameof(Lecam), Lecam, "a weight >= 0 (0 = off; 0.1–0.5 in the paper)");
        Require(LecamDecay >= 0 && LecamDecay < 1, nameof(LecamDecay), LecamDecay, "a decay in [0, 1)");
        Require(LecamStart >= 0, nameof(LecamStart), LecamStart, "a step >= 0");
        Require(Enum.IsDefined(OnCollapse), nameof(OnCollapse), OnCollapse, "log, stop or rollback");
        Require(CollapseWindow >= 8, nameof(CollapseWindow), CollapseWindow, "at least 8 steps");
        Require(CollapseLrFactor > 0 && CollapseLrFactor < 1, nameof(CollapseLrFactor), CollapseLrFactor, "a factor in (0, 1)");
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, $"one of {string.Join(", ", Enum.GetNames<LossKind>())}");
        Require(DataChannels is 0 or 1 or 3, nameof(DataChannels), DataChannels, "0 (the data set's own), 1 or 3");
        Require(MaxImagePixels >= 1, nameof(MaxImagePixels), MaxImagePixels, "a positive number of pixels");
        Require(Data is null || Data.Trim().Length > 0, nameof(Data), "\"" + Data + "\"", "a path or dataset name");
        return errors;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every invalid field; returns this config otherwise.</summary>
    public TrainConfig ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid training configuration: " + string.Join("; ", errors));
        return this;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates; <paramref name="source"/> names the origin (a file) in error messages.</summary>
    public static TrainConfig FromJson(string json, string source = "training configuration")
    {
        ArgumentNullException.ThrowIfNull(json);
        TrainConfig? config;
        try { config = JsonSerializer.Deserialize<TrainConfig>(json, JsonOptions); }
        catch (JsonException e) { throw new ArgumentException($"{source} is not a valid training configuration: {e.Message}", e); }
        if (config is null) throw new ArgumentException($"{source} is not a valid training configuration: it is null");
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException($"{source}: " + string.Join("; ", errors));
        return config;
    }

    /// <summary>Reads a JSON file written by <see cref="Save"/> (or by hand).</summary>
    public static TrainConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"training configuration not found: {path}", path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Writes the configuration atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());
}
