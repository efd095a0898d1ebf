using BigGan.Training.Data;
using BigGan.Training.Evaluation;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// The augmentation check of <c>biggan demo</c> and <c>biggan evaluate --augmentation-check</c>: a small CNN trained on
/// 100 real images per class with and without 100 synthetic ones per class, both tested on real test images; prints
/// the table and returns the figures.
/// </summary>
internal static class AugmentationCheck
{
    /// <param name="sampler">The generator whose images are added.</param>
    /// <param name="openSplit">Opens a split of the real data (in its own channels: the synthetic images are converted to them).</param>
    public static AugmentationResult Run(IImageSampler sampler, Func<DatasetSplit, IImageDataset> openSplit)
    {
        AnsiConsole.MarkupLine("augmentation check: a small CNN on 100 real images per class, with and without 100 synthetic ones, tested on real test images...");
        var r = AugmentationExperiment.Run(openSplit(DatasetSplit.Train), openSplit(DatasetSplit.Test), sampler);
        var table = new Table().AddColumns("training set", "test accuracy");
        table.AddRow($"{r.RealPerClass} real per class", $"{r.RealOnlyAccuracy:P1}");
        table.AddRow($"+ {r.SyntheticPerClass} synthetic per class", $"{r.AugmentedAccuracy:P1}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"the real-only classifier assigns {r.SyntheticAgreement:P1} of the synthetic images to their requested class ({r.TestImages} test images)");
        return r;
    }
}
