using System.Globalization;
using BigGan.Training.Model;
using BigGan.Training.Sampling;
using BigGan.Training.Training;
using Generator = BigGan.Training.Model.Generator;

namespace BigGan.Training.Import;

/// <summary>What <see cref="PretrainedImport.ImportRun"/> wrote.</summary>
public sealed record ImportedRun(string RunDir, string GeneratorFile, ModelConfig Config, bool ImageNetClassNames);

/// <summary>
/// Published generator weights as this project's generators: loaded directly (<see cref="LoadGenerator"/>,
/// <see cref="OpenSampler"/>), or converted once into a run folder (<see cref="ImportRun"/>) that
/// <see cref="BigGanSampler.Load"/>, the CLI's sample / interpolate / export / evaluate and the ML.NET adapters open
/// like a trained run (a Hugging Face BigGAN-deep has its own run folder: <see cref="HuggingFaceRun"/>):
/// <code>
/// run/G_ema.safetensors   the generator's state dict; metadata: the model configuration, step 0, source file and format
/// run/classes.txt         class names (the 1,000 ImageNet names for a 1,000-class generator)
/// </code>
/// </summary>
public static class PretrainedImport
{
    /// <summary>Metadata keys of an imported generator file besides the checkpoint's own.</summary>
    public const string SourceKey = "biggan.import.source";
    public const string FormatKey = "biggan.import.format";

    /// <summary>A generator in eval mode with the weights of a published file.</summary>
    /// <param name="weights">The weights file (.pth / .bin, either torch.save format).</param>
    /// <param name="format">Whose file it is.</param>
    /// <param name="configPath">Optional: this project's model configuration JSON to build the generator with; by
    /// default it is read off the weights' shapes.</param>
    public static Generator LoadGenerator(string weights, PretrainedFormat format, string? configPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weights);
        var config = configPath is null ? null : ReadConfig(configPath);
        return format switch
        {
            PretrainedFormat.BigGanPyTorch => BigGanPyTorchWeights.Load(weights, config),
            PretrainedFormat.HuggingFace => throw new NotSupportedException(
                $"{weights}: a Hugging Face pytorch-pretrained-BigGAN (TF-Hub BigGAN-deep) is not this project's generator; import it with HuggingFaceRun.Import, or load it with HuggingFaceBigGanWeights (and sample it with HuggingFaceSampler)"),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pretrained format"),
        };
    }

    /// <summary>A sampler over a published file, without a conversion step (class names: ImageNet's for 1,000 classes).</summary>
    public static BigGanSampler OpenSampler(string weights, PretrainedFormat format, SamplerOptions? options = null, string? configPath = null)
    {
        var g = LoadGenerator(weights, format, configPath);
        try
        {
            var o = options ?? new SamplerOptions();
            if (o.ClassNames is null && g.NumClasses == ImageNetClasses.Count) o = o with { ClassNames = ImageNetClasses.Names };
            return new BigGanSampler(g, o, ownsGenerator: true);
        }
        catch
        {
            g.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Converts a BigGAN-PyTorch file into a new run folder <paramref name="runDir"/> (which must not exist, or be
    /// empty; missing parent folders are created); a Hugging Face BigGAN-deep is imported by <see cref="HuggingFaceRun.Import"/>.
    /// It is written completely into a hidden folder beside it and then renamed, so a failure leaves nothing behind.
    /// </summary>
    public static ImportedRun ImportRun(string weights, PretrainedFormat format, string runDir, string? configPath = null)
    {
        if (format == PretrainedFormat.HuggingFace)
            throw new NotSupportedException($"{weights}: a Hugging Face BigGAN-deep run folder is written by HuggingFaceRun.Import (it needs the model's config.json)");
        var target = RunFolderStaging.CheckTarget(runDir);
        using var g = LoadGenerator(weights, format, configPath);   // before any folder is made, so a refused file leaves none
        var imageNet = g.NumClasses == ImageNetClasses.Count;
        RunFolderStaging.Write(target, staging =>
        {
            var metadata = new Dictionary<string, string>
            {
                [Checkpoint.Keys.Config] = g.Config.ToJson(),
                [Checkpoint.Keys.Step] = "0",
                [SourceKey] = Path.GetFullPath(weights),
                [FormatKey] = Name(format),
                [Checkpoint.Keys.SavedUtc] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            using (var scope = NewDisposeScope())
            {
                var state = g.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
                Safetensors.Save(state, Path.Combine(staging, Checkpoint.GEmaFile), metadata);
            }
            WriteClassNames(staging, g.NumClasses);
        });
        return new ImportedRun(target, Path.Combine(target, Checkpoint.GEmaFile), g.Config, imageNet);
    }

    /// <summary>Writes classes.txt: ImageNet's names for a 1,000-class generator, else the class numbers.</summary>
    internal static void WriteClassNames(string runDir, int numClasses)
    {
        var names = numClasses == ImageNetClasses.Count ? ImageNetClasses.Names : Enumerable.Range(0, numClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        AtomicFile.WriteAllText(Path.Combine(runDir, BigGanSampler.ClassNamesFile), string.Join("\n", names) + "\n");
    }

    /// <summary>The format's name on the command line.</summary>
    public static string Name(PretrainedFormat format) => format switch
    {
        PretrainedFormat.BigGanPyTorch => "biggan-pytorch",
        PretrainedFormat.HuggingFace => "huggingface",
        _ => format.ToString(),
    };

    /// <summary>Parses a command-line format name.</summary>
    public static PretrainedFormat Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "biggan-pytorch" => PretrainedFormat.BigGanPyTorch,
        "huggingface" or "hf" => PretrainedFormat.HuggingFace,
        var n => throw new ArgumentException($"--format {n}: expected biggan-pytorch or huggingface"),
    };

    private static ModelConfig ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--config {path} does not exist", path);
        try
        {
            return ModelConfig.FromJson(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"--config {path} is not a usable model configuration: {e.Message}", e);
        }
    }
}
