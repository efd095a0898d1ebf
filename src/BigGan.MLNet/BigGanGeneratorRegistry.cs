using BigGan.Training.Synthesis;

namespace BigGan.MLNet;

/// <summary>
/// Where a loaded GenerateBigGanImages mapping finds its generator: one entry per output shape (channels, resolution).
/// ML.NET model zips hold only the mapping's contract name, never weights or options, so a host that loads a saved
/// pipeline registers the generator (and the image options it was trained with) before <c>mlContext.Model.Load</c>.
/// GenerateBigGanImages registers its own generator, so saving and loading within one process needs nothing more.
/// When no entry matches, the run folder named by <see cref="GeneratorRunLoader.EnvironmentVariable"/> is opened
/// through <see cref="GeneratorRunLoader"/> with default image options.
/// </summary>
public static class BigGanGeneratorRegistry
{
    private static readonly Dictionary<(int Channels, int Resolution), LabelKeyImageMapper> Entries = [];
    private static readonly Lock Gate = new();

    /// <summary>Registers <paramref name="generator"/> for the output shape it produces with <paramref name="options"/> (replacing any entry).</summary>
    public static void Register(IConditionalImageGenerator generator, SyntheticImageOptions? options = null)
        => Register(new LabelKeyImageMapper(new SyntheticImageRenderer(generator, options)));

    /// <summary>Removes the entry of a shape; true if there was one.</summary>
    public static bool Remove(int channels, int resolution)
    {
        lock (Gate) return Entries.Remove((channels, resolution));
    }

    /// <summary>Removes every entry.</summary>
    public static void Clear()
    {
        lock (Gate) Entries.Clear();
    }

    internal static void Register(LabelKeyImageMapper mapper)
    {
        lock (Gate) Entries[(mapper.Renderer.OutputChannels, mapper.Renderer.Resolution)] = mapper;
    }

    internal static LabelKeyImageMapper Resolve(int channels, int resolution, string contractName)
    {
        lock (Gate)
            if (Entries.TryGetValue((channels, resolution), out var mapper)) return mapper;

        string? run = Environment.GetEnvironmentVariable(GeneratorRunLoader.EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(run))
            throw new InvalidOperationException(
                $"No BigGAN generator is registered for output shape {channels}×{resolution}×{resolution} (mapping contract '{contractName}'). " +
                $"Before loading the model call BigGanGeneratorRegistry.Register(generator, options) with the generator and image options the pipeline was built with, " +
                $"or set {GeneratorRunLoader.EnvironmentVariable} to the run folder of the generator. The model zip does not contain the generator's weights.");
        var loaded = new LabelKeyImageMapper(new SyntheticImageRenderer(GeneratorRunLoader.Load(run)));
        if (loaded.Renderer.OutputChannels != channels || loaded.Renderer.Resolution != resolution)
            throw new InvalidOperationException(
                $"The generator of run folder '{run}' ({GeneratorRunLoader.EnvironmentVariable}) produces {loaded.Renderer.OutputChannels}×{loaded.Renderer.Resolution}×{loaded.Renderer.Resolution} images, " +
                $"but the model's mapping '{contractName}' expects {channels}×{resolution}×{resolution}.");
        Register(loaded);
        return loaded;
    }
}
