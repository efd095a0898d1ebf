using BigGan.Training.Sampling;
using BigGan.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;
using BigGan.Training.Data;
using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>Opens the data, builds the trainer, trains with a progress display, and writes a sample sheet at every checkpoint.</summary>
internal static class TrainingSession
{
    /// <summary>Builds the trainer (data-parallel over <paramref name="group"/> when given). The model's class count
    /// and channels come from the data set. Only rank 0 prints and writes sample sheets.</summary>
    public static BigGanTrainer Start(RunConfig config, string runDir, bool resume, out IBatchSource data, ProcessGroup? group = null)
    {
        var train = config.Train;
        if (string.IsNullOrWhiteSpace(train.Data))
            throw new ArgumentException("--data is required: an image folder, an idx file, a CIFAR folder, or fashion-mnist");
        var dataset = Datasets.Open(train.Data, config.Model.Resolution, new DatasetOptions
        {
            SkipBadImages = train.SkipBadImages, MaxImagePixels = train.MaxImagePixels, Channels = train.DataChannels == 0 ? null : train.DataChannels,
        });
        bool master = group is null || group.rank() == 0;
        if (master)
            AnsiConsole.MarkupLine($"data: [bold]{Markup.Escape(dataset.Source)}[/], {dataset.Count} images, {dataset.NumClasses} classes, " +
                               $"{dataset.Channels} channel(s), {dataset.Resolution}×{dataset.Resolution}");
        if (master && dataset is ImageFolderDataset { SkippedImages: > 0 } folder)
            Consoles.Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape(folder.DescribeSkipped())}");
        // Each D step of an iteration takes its own real batch from one loader batch of them all.
        long realsPerIteration = (long)train.BatchSize * train.DSteps * train.DAccumulations;
        if (realsPerIteration > dataset.Count)
            throw new ArgumentException($"--batch-size {train.BatchSize} × --d-steps {train.DSteps} × --d-accumulations {train.DAccumulations} = {realsPerIteration} real images " +
                                        $"per iteration, more than the {dataset.Count} images of {dataset.Source}: lower --batch-size or --d-steps, or use more data");
        var model = config.Model with { NumClasses = dataset.NumClasses, Channels = dataset.Channels };
        // Data-parallel: every rank walks the same item stream (same seed) and decodes only its own rows of each batch.
        data = new ShuffledBatchSource(dataset, new BatchSourceOptions
        {
            Seed = (long)train.Seed, HorizontalFlip = train.HFlip, ShardCount = group?.size() ?? 1, ShardIndex = group?.rank() ?? 0,
        });
        try
        {
            var trainer = new BigGanTrainer(config with { Model = model }, data, runDir, resume, group,
                master ? message => Consoles.Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}") : null);
            if (group is not null && master)
                AnsiConsole.MarkupLine($"data-parallel: {group.size()} processes, global batch {config.Train.BatchSize} ({config.Train.BatchSize / group.size()} per process), " +
                                       $"cross-replica BN {(config.Train.CrossReplicaBn ? "on" : "off")}");
            var names = dataset.ClassNames;
            if (master) WriteClassNames(runDir, names);
            if (config.Train.EvalEvery > 0) EvaluateDuringTraining(trainer, config.Train, dataset);
            trainer.CheckpointSaved += info =>
            {
                var path = Path.Combine(runDir, "samples", $"sheet_step{info.Step:D7}.png");
                SheetWriter.ClassSheet(trainer.SamplingGenerator, path, columns: 10, seed: 0);
                AnsiConsole.MarkupLine($"checkpoint at step {info.Step}: [link]{Markup.Escape(path)}[/]");
            };
            return trainer;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    // FID of G_ema against the real test split under the given feature network, every EvalEvery steps; the best
    // checkpoint by it is kept next to the regular ones. Only rank 0 of a data-parallel run scores (and loads the
    // network); the classifier file is opened at the start everywhere so a wrong path fails before any training.
    private static void EvaluateDuringTraining(BigGanTrainer trainer, TrainConfig train, IImageDataset dataset)
    {
        var classifier = SmallCnnClassifier.Load(train.EvalClassifier!);
        if (!trainer.IsMaster)
        {
            classifier.Dispose();
            trainer.EvaluateEvery(train.EvalEvery, "fid", _ => throw new InvalidOperationException("only rank 0 evaluates"));
            return;
        }
        IImageDataset reference;
        try { reference = Datasets.Open(train.Data!, dataset.Resolution, new DatasetOptions { Split = DatasetSplit.Test, Channels = dataset.Channels }); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException or InvalidDataException) { reference = dataset; }
        GaussianStatistics realStats;
        using (var scope = torch.NewDisposeScope())
            realStats = classifier.FeatureStatistics(DatasetTensors.LoadFirst(reference, 5000).images);
        var classes = Enumerable.Range(0, dataset.NumClasses).ToArray();
        trainer.EvaluateEvery(train.EvalEvery, "fid", g =>
        {
            using var scope = torch.NewDisposeScope();
            using var sampler = new BigGanSampler(g);
            var fid = FrechetDistance.Compute(realStats, classifier.FeatureStatistics(sampler.Sample(classes, train.EvalPerClass, Truncation.None, seed: 0)));
            AnsiConsole.MarkupLine($"step {trainer.Step}: FID {fid:F2}");
            return fid;
        });
    }

    // The class names next to the checkpoints, where `biggan sample`, `interpolate` and `export` find them.
    private static void WriteClassNames(string runDir, IReadOnlyList<string> names)
    {
        if (names.Any(n => n.Contains('\n') || n.Contains('\r'))) return;
        AtomicFile.WriteAllText(Path.Combine(runDir, BigGan.Training.Sampling.BigGanSampler.ClassNamesFile), string.Join("\n", names) + "\n");
    }

    /// <summary>Runs the trainer to its end with a progress bar (or plain lines when the output is not a terminal).
    /// Returns why it stopped.</summary>
    public static TrainStopReason Run(BigGanTrainer trainer, CancellationToken cancellation = default, bool quiet = false)
    {
        var iterations = trainer.Config.Train.Iterations;
        // A time-bounded run (--max-minutes, the demo) shows time, not steps, as its progress.
        TimeSpan? limit = trainer.Config.Train.MaxMinutes > 0 ? TimeSpan.FromMinutes(trainer.Config.Train.MaxMinutes) : null;
        if (quiet) return trainer.Train(null, cancellation);
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            long last = -1;
            return trainer.Train(new Progress(p =>
            {
                if (p.Step - last < 50 && p.Step != iterations) return;
                last = p.Step;
                Console.WriteLine(Describe(p, limit));
            }), cancellation);
        }
        var reason = TrainStopReason.Completed;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: limit?.TotalSeconds ?? iterations);
                task.Value = limit is null ? trainer.Step : 0;
                reason = trainer.Train(new Progress(p =>
                {
                    task.Value = limit is null ? p.Step : Math.Min(p.Elapsed.TotalSeconds, limit.Value.TotalSeconds);
                    task.Description = Markup.Escape(Describe(p, limit));
                }), cancellation);
            });
        return reason;
    }

    internal static string Describe(TrainProgress p, TimeSpan? limit = null)
    {
        var losses = $"G {p.Losses.GLoss:F3}  D real {p.Losses.DLossReal:F3} fake {p.Losses.DLossFake:F3}  {1 / Math.Max(p.SecondsPerStep, 1e-9):F2} it/s";
        if (limit is not { } l) return $"step {p.Step}/{p.Iterations}  {losses}  {p.Elapsed:hh\\:mm\\:ss}";
        var left = l > p.Elapsed ? l - p.Elapsed : TimeSpan.Zero;
        return $"step {p.Step}  {losses}  {p.Elapsed:hh\\:mm\\:ss} of {l:hh\\:mm\\:ss}, {left:hh\\:mm\\:ss} left";
    }

    // Progress<T> posts to the thread pool; a synchronous reporter keeps the display in step with training.
    private sealed class Progress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
