using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary><see cref="RunSamplers.Open"/> for the commands: says on stderr when a run's newest checkpoints were
/// damaged and an older one is used in their place.</summary>
internal static class CliRunSamplers
{
    public static IImageSampler Open(string path, SamplerOptions? options = null)
    {
        var sampler = RunSamplers.Open(path, options);
        if (sampler is BigGanSampler { SkippedCheckpoints.Count: > 0 } loaded)
            Consoles.Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape($"skipped {loaded.SkippedCheckpoints.Count} unusable checkpoint(s): {string.Join("; ", loaded.SkippedCheckpoints)}. Using {loaded.SourcePath} (step {loaded.Step})")}");
        return sampler;
    }
}
