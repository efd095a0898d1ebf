using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BigGan.Training.Sampling;

namespace BigGan.Training.Import;

/// <summary>What <see cref="HuggingFaceRun.Import"/> wrote.</summary>
public sealed record HuggingFaceImportedRun(string RunDir, string WeightsFile, HuggingFaceBigGanConfig Config, bool ImageNetClassNames);

/// <summary>
/// A Hugging Face pytorch-pretrained-BigGAN (BigGAN-deep) imported into a run folder, which <see cref="RunSamplers.Open"/>
/// (and so sample, interpolate, export, evaluate and the ML.NET adapters) opens as a <see cref="HuggingFaceSampler"/>:
/// <code>
/// run/generator.json             {"kind": "huggingface-biggan-deep", ...}: marks the run's generator kind
/// run/biggan-deep.safetensors    the reference's state dict under its own names (weight_orig / weight_u / weight_v,
///                                running_means / running_vars per truncation level, ...), with a checksum
/// run/biggan-deep-config.json    the model's config.json, as imported
/// run/classes.txt                class names (the 1,000 ImageNet names for a 1,000-class generator)
/// </code>
/// The weights stay in the reference's form (spectral norm unfolded) so the file is the published model, only safer
/// to read than a pickle; folding happens at load, as for pytorch_model.bin.
/// </summary>
public static class HuggingFaceRun
{
    public const string KindFile = "generator.json";
    public const string Kind = "huggingface-biggan-deep";
    public const string WeightsFile = "biggan-deep.safetensors";
    public const string ConfigFile = "biggan-deep-config.json";

    /// <summary>
    /// Imports pytorch_model.bin and its config.json (default: config.json next to the weights) into the new run folder
    /// <paramref name="runDir"/> (missing, or empty). The weights are checked against the config before anything is
    /// written, and the folder is staged and renamed, so a refused or failed import leaves nothing behind.
    /// </summary>
    public static HuggingFaceImportedRun Import(string weights, string? configPath, string runDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weights);
        var target = RunFolderStaging.CheckTarget(runDir);
        configPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weights))!, "config.json");
        var config = HuggingFaceBigGanConfig.Load(configPath);
        var tensors = TorchCheckpoint.Load(weights);
        try
        {
            HuggingFaceBigGan.CheckFits(config, tensors, weights);   // refuses weights that do not fit, naming them
            RunFolderStaging.Write(target, staging =>
            {
                var metadata = new Dictionary<string, string>
                {
                    [PretrainedImport.SourceKey] = Path.GetFullPath(weights),
                    [PretrainedImport.FormatKey] = PretrainedImport.Name(PretrainedFormat.HuggingFace),
                };
                Safetensors.Save(tensors, Path.Combine(staging, WeightsFile), metadata);
                File.Copy(configPath, Path.Combine(staging, ConfigFile));
                var marker = new JsonObject
                {
                    ["kind"] = Kind,
                    ["source"] = Path.GetFullPath(weights),
                    ["imported_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                };
                AtomicFile.WriteAllText(Path.Combine(staging, KindFile), marker.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                PretrainedImport.WriteClassNames(staging, config.NumClasses);
            });
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return new HuggingFaceImportedRun(target, Path.Combine(target, WeightsFile), config, config.NumClasses == ImageNetClasses.Count);
    }

    /// <summary>Whether <paramref name="path"/> is such a run folder (its <see cref="KindFile"/> names <see cref="Kind"/>).</summary>
    /// <exception cref="InvalidDataException">the marker exists but is not readable JSON.</exception>
    public static bool IsRun(string path)
    {
        var marker = Path.Combine(path, KindFile);
        if (!Directory.Exists(path) || !File.Exists(marker)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(marker))?["kind"]?.GetValue<string>() == Kind;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{marker} is damaged ({e.Message}): it should name the run's generator kind, e.g. {{\"kind\": \"{Kind}\"}}", e);
        }
    }

    /// <summary>The generator of a run folder, its weights checked (checksum, finite values, shapes against the config).</summary>
    /// <exception cref="FileNotFoundException">the weights or the config are missing.</exception>
    /// <exception cref="InvalidDataException">they are damaged or do not fit each other.</exception>
    public static HuggingFaceBigGan LoadModel(string runDir)
    {
        var weights = Path.Combine(runDir, WeightsFile);
        var configPath = Path.Combine(runDir, ConfigFile);
        if (!File.Exists(weights))
            throw new FileNotFoundException($"the Hugging Face BigGAN-deep run {runDir} has no weights file {WeightsFile}: the run folder is incomplete; import the model again", weights);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"the Hugging Face BigGAN-deep run {runDir} has no {ConfigFile}: the run folder is incomplete; import the model again", configPath);
        var config = HuggingFaceBigGanConfig.Load(configPath);
        var (tensors, _) = Safetensors.Load(weights);
        try
        {
            IO.ModuleStateFile.RequireFinite(weights, tensors);
            return new HuggingFaceBigGan(config, tensors, weights);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
