using BigGan.Training.Import;

namespace BigGan.Training.Sampling;

/// <summary>
/// Opens the generator of a run folder, whatever kind it is: an imported Hugging Face BigGAN-deep (its
/// <see cref="HuggingFaceRun.KindFile"/> says so) as a <see cref="HuggingFaceSampler"/>, anything else (a trained or
/// BigGAN-PyTorch-imported run, a checkpoint folder, a generator file) as a <see cref="BigGanSampler"/>. This is the
/// one place that tells the kinds apart; everything after it talks to <see cref="IImageSampler"/>.
/// </summary>
public static class RunSamplers
{
    /// <exception cref="DirectoryNotFoundException">the path does not exist.</exception>
    /// <exception cref="FileNotFoundException">the run has no generator, or a file of it is missing.</exception>
    /// <exception cref="InvalidDataException">a file is damaged.</exception>
    /// <exception cref="ArgumentException">the options do not fit the generator (e.g. a truncation a BigGAN-deep cannot use).</exception>
    public static IImageSampler Open(string path, SamplerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return HuggingFaceRun.IsRun(Path.GetFullPath(path)) ? HuggingFaceSampler.Load(path, options) : BigGanSampler.Load(path, options);
    }
}
