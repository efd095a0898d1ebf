using BigGan.Training.Sampling;

namespace BigGan.Cli.Commands;

/// <summary>Sample sheets of a live generator (e.g. the EMA copy at every checkpoint): one row per class, the same
/// latent per column, drawn as <c>biggan sample</c> draws them, so a checkpoint's sheet and a later sample with the
/// same seed agree.</summary>
internal static class SheetWriter
{
    public static void ClassSheet(BigGan.Training.Model.Generator g, string path, int columns, ulong seed)
    {
        using var sampler = new BigGanSampler(g); // borrows g: its mode and statistics are left as they were
        SampleSheets.WriteClassSheet(sampler, path, null, columns, Truncation.None, seed);
    }
}
