using System.CommandLine;
using BigGan.Training.Data;
using BigGan.Training.Evaluation;
using BigGan.Training.Model;
using BigGan.Training.Sampling;
using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan demo</c>: the README's main job. Trains a CPU-sized BigGAN on Fashion-MNIST (32×32, gray repeated into 3
/// channels) for a bounded time, writes a sample sheet at each checkpoint, then writes a synthetic labelled dataset
/// (gray PNGs, the luma of its three planes) from the EMA generator, runs the augmentation check, and says where everything is.
/// </summary>
internal static class DemoCommand
{
    /// <summary>
    /// The demo's model and training settings: the CPU recipe for 32×32 class-conditional data (README "An hour on a
    /// CPU"): the reference's CIFAR arrangement (per-class cBN tables, single z, no attention, N(0, 0.02) init, hinge
    /// loss, Adam (0, 0.999), learning rates 2e-4) at width 16, batch 32, one D step per G step (twice the G updates per
    /// minute of the reference's two), a short EMA (0.995 from step 500: the reference's 0.9999 averages over ten
    /// thousand steps, longer than a CPU hour's whole run), and the gray images repeated into 3 channels as the
    /// reference trains them, which measured far better class fidelity per minute than 1 channel.
    /// </summary>
    public static RunConfig Config(double minutes, int threads) => new(
        ModelConfig.Cifar(numClasses: 10, channels: 3, ch: 16),
        new TrainConfig
        {
            Data = "fashion-mnist", DataChannels = 3, BatchSize = 32, DSteps = 1, GLr = 2e-4, DLr = 2e-4,
            EmaDecay = 0.995, EmaStart = 500, Iterations = 1_000_000, MaxMinutes = minutes,
            SaveEvery = 250, Threads = threads, Seed = 0,
        });

    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "training time budget in minutes", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--out") { Description = "run folder (default: runs/demo-<time>)" };
        var threads = ThreadsOption.Create();
        var perClass = new Option<int>("--per-class") { Description = "synthetic images per class written at the end", DefaultValueFactory = _ => 100 };
        var augmentation = new Option<bool>("--augmentation-check") { Description = "compare a classifier trained on real images with and without synthetic ones", DefaultValueFactory = _ => true };
        var command = new Command("demo", "train on Fashion-MNIST for a few minutes, write sample sheets and a synthetic dataset") { minutes, output, threads, perClass, augmentation };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var runDir = result.GetValue(output) ?? Path.Combine("runs", $"demo-{DateTime.Now:yyyyMMdd-HHmmss}");
            var config = Config(result.GetValue(minutes), result.GetValue(threads));
            // Held to the end: the synthetic set and the check read the run's last checkpoint.
            using var folderLock = TrainCommand.LockRunFolder(runDir);
            BigGanTrainer.CheckRunFolder(runDir, resume: false);
            AnsiConsole.MarkupLine($"demo: training for {config.Train.MaxMinutes} minutes into [bold]{Markup.Escape(Path.GetFullPath(runDir))}[/]");
            using var trainer = TrainingSession.Start(config, runDir, resume: false, out var data);
            using (data)
                TrainingSession.Run(trainer);
            AnsiConsole.MarkupLine($"trained {trainer.Step} iterations; sample sheets in [bold]{Markup.Escape(Path.GetFullPath(Path.Combine(runDir, "samples")))}[/]");

            // The synthetic dataset: one PNG folder per class plus labels.csv, from the EMA generator of the last checkpoint.
            using var sampler = BigGanSampler.Load(runDir);
            var synthetic = Path.Combine(runDir, "synthetic");
            // In the data's own channel: Fashion-MNIST is gray, trained as three equal planes.
            var written = SampleExport.WriteFolder(sampler, synthetic, null, result.GetValue(perClass), Truncation.None, seed: 0, overwrite: true, channels: 1);
            AnsiConsole.MarkupLine($"synthetic dataset: {written} images in [bold]{Markup.Escape(Path.GetFullPath(synthetic))}[/] (labels.csv inside)");

            if (result.GetValue(augmentation))
                AugmentationCheck.Run(sampler, split => Datasets.Open("fashion-mnist", sampler.Resolution, new DatasetOptions { Split = split }));
            AnsiConsole.MarkupLine($"run folder: [bold]{Markup.Escape(Path.GetFullPath(runDir))}[/]");
            return 0;
        }));
        return command;
    }
}
