namespace BigGan.Training.Synthesis;

/// <summary>
/// Where a generator comes from when only a run folder is known (a saved ML.NET pipeline being loaded, a command line).
/// The BigGAN sampler sets <see cref="Loader"/>; hosts may set their own. <see cref="EnvironmentVariable"/> names the run
/// folder when nothing else does.
/// </summary>
public static class GeneratorRunLoader
{
    /// <summary>Environment variable naming the run folder whose generator a loaded pipeline uses.</summary>
    public const string EnvironmentVariable = "BIGGAN_GENERATOR_RUN";

    /// <summary>Opens the generator of a run folder: by default <see cref="Sampling.RunSamplers.Open"/> (the EMA generator
    /// of a run's latest checkpoint, or an imported Hugging Face BigGAN-deep at tfhub:1); hosts may replace it, or set
    /// null to require an explicit generator.</summary>
    public static Func<string, IConditionalImageGenerator>? Loader { get; set; } = path => Sampling.RunSamplers.Open(path);

    /// <summary>The generator of <paramref name="runFolder"/>, through <see cref="Loader"/>.</summary>
    public static IConditionalImageGenerator Load(string runFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runFolder);
        if (!Directory.Exists(runFolder))
            throw new DirectoryNotFoundException($"BigGAN run folder '{runFolder}' does not exist.");
        var loader = Loader ?? throw new InvalidOperationException(
            $"Cannot open the generator of run folder '{runFolder}': no loader is set. Set {nameof(GeneratorRunLoader)}.{nameof(Loader)} " +
            "(the BigGAN sampler does so) or pass an IConditionalImageGenerator directly.");
        return loader(runFolder) ?? throw new InvalidOperationException($"The generator loader returned null for run folder '{runFolder}'.");
    }
}
