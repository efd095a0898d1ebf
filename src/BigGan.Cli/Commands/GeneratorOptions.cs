using System.CommandLine;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;
using BigGan.Training.Sampling;

namespace BigGan.Cli.Commands;

/// <summary>The options every command that opens a trained generator shares (--run, --weights, --standing-stats,
/// --batch-size, --threads, --seed, --truncation, --classes), and how they become an <see cref="IImageSampler"/> (this
/// project's generator, or an imported Hugging Face BigGAN-deep, through <see cref="RunSamplers.Open"/>).</summary>
internal sealed class GeneratorOptions
{
    public readonly Option<string> Run = new("--run") { Description = "run folder (its latest checkpoint), a checkpoint folder, or a generator .safetensors file", Required = true };
    public readonly Option<string> Weights = new("--weights") { Description = "which generator: auto (EMA when present), ema or raw", DefaultValueFactory = _ => "auto" };
    public readonly Option<int?> Standing = new("--standing-stats") { Description = "batch-norm standing statistics over N passes (0: running statistics; default: as the run was configured)" };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "images per generator pass", DefaultValueFactory = _ => 64 };
    public readonly Option<int> Threads = ThreadsOption.Create();
    public readonly Option<string> Device = DeviceOption.Create();
    public readonly Option<ulong> Seed = new("--seed") { Description = "seed of the latents (row i of a sample uses stream (seed, i))", DefaultValueFactory = _ => 0 };
    public readonly Option<string?> Truncation = new("--truncation")
    {
        Description = "truncation: a number t (resample |z| > t, the paper's trick), none, or tfhub:t (t × normal truncated at ±2). " +
                      "Default: none; an imported Hugging Face BigGAN-deep takes only tfhub:t with 0 < t <= 1 (t also picks its batch-norm statistics), default tfhub:1",
    };
    public readonly Option<string> Classes = new("--classes") { Description = "comma-separated class names or indices (default: all classes)" };

    private readonly bool _sampling;

    public GeneratorOptions(Command command, bool sampling = true)
    {
        _sampling = sampling;
        command.Options.Add(Run);
        command.Options.Add(Weights);
        command.Options.Add(Standing);
        command.Options.Add(BatchSize);
        command.Options.Add(Threads);
        command.Options.Add(Device);
        if (!sampling) return;
        command.Options.Add(Seed);
        command.Options.Add(Truncation);
        command.Options.Add(Classes);
    }

    /// <summary>Loads the generator the options name, with the threads, batch size and statistics they ask for, opened
    /// for the --truncation asked (<paramref name="truncation"/> where the command has its own option).</summary>
    public IImageSampler Open(ParseResult result, Truncation? truncation = null)
    {
        truncation ??= AskedTruncation(result);
        DeviceOption.Apply(result.GetValue(Device)!);
        ThreadsOption.Apply(result.GetValue(Threads));
        var weights = result.GetValue(Weights)?.Trim().ToLowerInvariant() switch
        {
            "auto" or null => GeneratorWeights.Auto,
            "ema" => GeneratorWeights.Ema,
            "raw" or "g" => GeneratorWeights.Raw,
            var w => throw new ArgumentException($"--weights {w}: expected auto, ema or raw"),
        };
        var options = new SamplerOptions { BatchSize = result.GetValue(BatchSize), Weights = weights };
        if (result.GetValue(Standing) is { } passes)
        {
            if (passes < 0) throw new ArgumentException($"--standing-stats {passes}: expected 0 (running statistics) or a number of passes");
            options = passes == 0
                ? options with { Statistics = BatchNormStatistics.Running }
                : options with { Statistics = BatchNormStatistics.Standing, Standing = new StandingStatisticsOptions { Accumulations = passes, BatchSize = Math.Max(2, options.BatchSize) } };
        }
        try { return CliRunSamplers.Open(result.GetValue(Run)!, options with { Truncation = truncation }); }
        catch (ArgumentException e) when (e.ParamName == "truncation")
        {
            throw new ArgumentException($"--truncation {truncation}: {WithoutParameter(e)}", e);
        }
    }

    /// <summary>The truncation to sample with: the one asked for, checked against the generator, or the generator's default
    /// (none; tfhub:1 for a Hugging Face BigGAN-deep).</summary>
    public Truncation ParseTruncation(ParseResult result, IImageSampler sampler)
    {
        if (AskedTruncation(result) is not { } asked) return sampler.DefaultTruncation;
        try { return sampler.CheckTruncation(asked); }
        catch (ArgumentException e) { throw new ArgumentException($"--truncation {asked}: {WithoutParameter(e)}", e); }
    }

    /// <summary>--truncation parsed, or null when the command has no such option or it was not given.</summary>
    public Truncation? AskedTruncation(ParseResult result) => _sampling ? Parse(result.GetValue(Truncation)) : null;

    /// <summary>A --truncation text parsed (null stays null), the error naming the option.</summary>
    public static Truncation? Parse(string? text)
    {
        if (text is null) return null;
        try { return BigGan.Training.Sampling.Truncation.Parse(text); }
        catch (ArgumentException e) { throw new ArgumentException($"--truncation {text}: {WithoutParameter(e)}", e); }
    }

    /// <summary>The class indices of --classes (names or numbers), or null for all classes. A bad item is named by
    /// its text and its 1-based position in the list.</summary>
    public IReadOnlyList<int>? ParseClasses(ParseResult result, IImageSampler sampler)
    {
        var text = result.GetValue(Classes);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        var classes = new List<int>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Length == 0) continue; // "0,1," : a stray comma names no class
            try { classes.Add(sampler.ClassIndex(items[i])); }
            catch (ArgumentException e) { throw new ArgumentException($"--classes {text}: item {i + 1} ('{items[i]}'): {WithoutParameter(e)}", e); }
        }
        return classes;
    }

    // The library's message names its own parameter ("nameOrIndex", " (Parameter 'text')"); the user typed an option.
    private static string WithoutParameter(ArgumentException e) =>
        e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;

    public static string Describe(IImageSampler sampler) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(sampler.SourcePath)}{(sampler.Step is { } s ? $" at step {s}" : "")}, {sampler.Resolution}×{sampler.Resolution}×{sampler.Channels}, " +
            $"{sampler.NumClasses} classes, {sampler.BatchNormSummary}");
}
