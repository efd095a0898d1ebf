using System.CommandLine;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;
using BigGan.Training.Data;
using BigGan.Training.Evaluation;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan evaluate</c>: FID and an Inception-Score-style score of a run's EMA generator, computed with a small CNN
/// trained on the real data (no ImageNet Inception weights can be had here), plus how often that classifier agrees with
/// the requested class and, with --cas, the Classification Accuracy Score (a fresh classifier trained on generated
/// images only, tested on real ones). With --samples instead of --run it scores images made elsewhere (another
/// implementation, a `biggan sample --format folder` export), read like a data set with its labels, so two generators
/// can be compared by the same evaluator. <c>biggan evaluate train-classifier</c> trains the feature network.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run folder to evaluate" };
        var samples = new Option<string>("--samples") { Description = "generated images to evaluate instead of a run: a class-per-subfolder image folder (or any data set spec); needs --data" };
        var classifier = new Option<string>("--classifier") { Description = "feature network from `biggan evaluate train-classifier`", Required = true };
        var data = new Option<string>("--data") { Description = "real data for the reference statistics (default: the run's training data)" };
        var perClass = new Option<int>("--per-class") { Description = "generated images per class (with --run)", DefaultValueFactory = _ => 500 };
        var realCount = new Option<int>("--real") { Description = "real (test split) images for the reference statistics", DefaultValueFactory = _ => 10000 };
        var truncation = new Option<string>("--truncation") { Description = "truncation of the generated latents (with --run): a number t, none, or tfhub:t, as in `biggan sample` (default: the generator's, none for this project's runs)" };
        var standing = new Option<int>("--standing-stats") { Description = "batch-norm standing statistics over N passes of latents at the evaluated truncation (0: the running statistics)", DefaultValueFactory = _ => 0 };
        var cas = new Option<bool>("--cas") { Description = "also compute the Classification Accuracy Score" };
        var augmentationCheck = new Option<bool>("--augmentation-check") { Description = "also train a small CNN on 100 real images per class with and without 100 of the run's per class, and test both on real test images (as `biggan demo`)" };
        var json = new Option<string>("--json") { Description = "write the scores as JSON here (default: evaluation.json in the run or samples folder)" };
        var threads = ThreadsOption.Create();
        var device = DeviceOption.Create();
        var maxPixels = MaxImagePixelsOption.Create();
        var command = new Command("evaluate", "score a trained generator, or a folder of generated images: FID, IS-style score, class agreement, CAS")
        {
            run, samples, classifier, data, perClass, realCount, truncation, standing, cas, augmentationCheck, json, threads, device, maxPixels, TrainClassifier(),
        };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var (runDir, samplesSpec) = (result.GetValue(run), result.GetValue(samples));
            if ((runDir is null) == (samplesSpec is null))
                throw new ArgumentException("give either --run (a run folder whose generator is sampled) or --samples (generated images), not both and not neither");
            DeviceOption.Apply(result.GetValue(device)!);
            ThreadsOption.Apply(result.GetValue(threads));
            MaxImagePixelsOption.Apply(result.GetValue(maxPixels));
            var asked = GeneratorOptions.Parse(result.GetValue(truncation));
            var passes = result.GetValue(standing);
            if (passes < 0) throw new ArgumentException($"--standing-stats {passes}: expected 0 (running statistics) or a number of passes");
            if (passes > 0 && runDir is null) throw new ArgumentException("--standing-stats applies to a generator (--run), not to --samples");
            if (result.GetValue(augmentationCheck) && runDir is null) throw new ArgumentException("--augmentation-check applies to a generator (--run), not to --samples");
            using var network = SmallCnnClassifier.Load(result.GetValue(classifier)!);
            using var scope = torch.NewDisposeScope();
            var generated = runDir is not null
                ? GenerateFromRun(runDir, network.Config, result.GetValue(perClass), asked, passes, result.GetValue(data))
                : ReadSamples(samplesSpec!, network.Config, result.GetValue(data));
            if (generated.NumClasses != network.NumClasses)
                throw new ArgumentException($"the classifier knows {network.NumClasses} classes but the generated images have {generated.NumClasses}: train the classifier on the same data set");

            var test = OpenTestSplit(generated.RealData, network.Config.Resolution);
            CheckMatches(test, network.Config, "the real data");
            var (real, realLabels) = DatasetTensors.LoadFirst(test, result.GetValue(realCount));
            var (fakeFeatures, fakeProbabilities) = network.ExtractAll(generated.Images);
            var (realFeatures, _) = network.ExtractAll(real);
            var scores = new Dictionary<string, double>
            {
                ["fid"] = FrechetDistance.Compute(realFeatures, fakeFeatures),
                ["is"] = InceptionScore.FromProbabilities(fakeProbabilities).mean,
                ["class_agreement"] = fakeProbabilities.argmax(1).eq(generated.Labels).to(ScalarType.Float64).mean().ToDouble(),
                ["classifier_real_accuracy"] = ClassifierTrainer.Accuracy(network, real, realLabels),
            };
            if (result.GetValue(cas))
                scores["cas"] = ClassificationAccuracyScore.Evaluate(generated.Images, generated.Labels, real, realLabels, network.Config).TestAccuracy;

            var table = new Table().AddColumns("score", "value");
            foreach (var (k, v) in scores) table.AddRow(k, v.ToString("G5", System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AugmentationResult? augmentation = null;
            if (result.GetValue(augmentationCheck))
            {
                using var sampler = CliRunSamplers.Open(runDir!);
                augmentation = AugmentationCheck.Run(sampler, split => split == DatasetSplit.Test
                    ? OpenTestSplit(generated.RealData, sampler.Resolution)
                    : Datasets.Open(generated.RealData, sampler.Resolution));
            }
            var output = result.GetValue(json) ?? Path.Combine(generated.Folder, "evaluation.json");
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(new
            {
                run = runDir is null ? null : Path.GetFullPath(runDir),
                samples = samplesSpec is null ? null : Path.GetFullPath(samplesSpec),
                step = generated.Step, truncation = generated.Truncation?.ToString(), standing_stats = passes > 0 ? passes : (int?)null, classifier = network.Name, generated = generated.Images.size(0), real = real.size(0), scores,
                augmentation = augmentation is null ? null : new
                {
                    real_per_class = augmentation.RealPerClass, synthetic_per_class = augmentation.SyntheticPerClass, test_images = augmentation.TestImages,
                    real_only_accuracy = augmentation.RealOnlyAccuracy, augmented_accuracy = augmentation.AugmentedAccuracy, synthetic_agreement = augmentation.SyntheticAgreement,
                },
            }, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(output)}[/]");
            return 0;
        }));
        return command;
    }

    /// <summary>Images to score, with the classes they were asked for, and where the real data for comparison is.</summary>
    private sealed record Generated(Tensor Images, Tensor Labels, int NumClasses, string RealData, string Folder, long? Step, Truncation? Truncation = null);

    // perClass samples of every class from the run's generator, at the truncation asked or its default (this
    // project's: none; a Hugging Face BigGAN-deep's: tfhub:1, the widest its batch-norm statistics cover).
    // With standing statistics, they are accumulated at the truncation sampled (the batch-norm statistics then fit
    // the latents they normalise, as TF-Hub's BigGAN-deep stores them per truncation).
    private static Generated GenerateFromRun(string runDir, ClassifierConfig network, int perClass, Truncation? asked, int standingPasses, string? data)
    {
        var options = new SamplerOptions { Truncation = asked };
        if (standingPasses > 0)
            options = options with { Statistics = BatchNormStatistics.Standing, Standing = new StandingStatisticsOptions { Accumulations = standingPasses, Truncation = asked } };
        using var sampler = CliRunSamplers.Open(runDir, options);
        if (sampler.Resolution != network.Resolution)
            throw new ArgumentException($"the run generates {sampler.Resolution}×{sampler.Resolution} images but the classifier reads {network.Resolution}×{network.Resolution}");
        var runConfig = Path.Combine(runDir, Training.Training.RunConfig.FileName);
        var spec = data ?? (File.Exists(runConfig) ? Training.Training.RunConfig.Load(runConfig).Train.Data : null)
            ?? throw new ArgumentException("--data is required: the run's config names no data set (an imported run has none)");
        var classes = Enumerable.Range(0, sampler.NumClasses).ToArray();
        var truncation = asked is { } t ? sampler.CheckTruncation(t) : sampler.DefaultTruncation;
        // A generator of RGB images trained on gray data (as BigGAN-PyTorch's, whose output is always 3 channels) is
        // scored as the classifier sees the data: converted like the data loaders convert images.
        using var sampled = sampler.Sample(classes, perClass, truncation, seed: 0);
        var images = ImageChannels.Convert(sampled, network.Channels);
        var labels = torch.arange(sampler.NumClasses).unsqueeze(1).repeat(1, perClass).reshape(-1);
        return new Generated(images, labels, sampler.NumClasses, spec, runDir, sampler.Step, truncation);
    }

    // Every image of a data set made by some generator, at the classifier's resolution, with its class labels.
    private static Generated ReadSamples(string spec, ClassifierConfig network, string? data)
    {
        if (data is null) throw new ArgumentException("--data is required with --samples: the real data set the generated images are compared with");
        var set = Datasets.Open(spec, network.Resolution);
        CheckMatches(set, network, $"the generated images in {spec}");
        var (images, labels) = DatasetTensors.LoadFirst(set);
        var folder = Directory.Exists(spec) ? spec : Path.GetDirectoryName(Path.GetFullPath(spec))!;
        return new Generated(images, labels, set.NumClasses, data, folder, null);
    }

    private static void CheckMatches(IImageDataset set, ClassifierConfig network, string what)
    {
        if (set.Channels != network.Channels)
            throw new ArgumentException($"{what} have {set.Channels} channel(s) but the classifier reads {network.Channels}");
    }

    private static Command TrainClassifier()
    {
        var data = new Option<string>("--data") { Description = "training data (folder, idx file, CIFAR folder or fashion-mnist)", Required = true };
        var output = new Option<string>("--out") { Description = "where to save the classifier (safetensors)", Required = true };
        var resolution = new Option<int>("--resolution") { Description = "image size", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int>("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 0 };
        var threads = ThreadsOption.Create();
        var device = DeviceOption.Create();
        var maxPixels = MaxImagePixelsOption.Create();
        var command = new Command("train-classifier", "train the small CNN used as the feature network of `biggan evaluate`") { data, output, resolution, epochs, seed, threads, device, maxPixels };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            DeviceOption.Apply(result.GetValue(device)!);
            ThreadsOption.Apply(result.GetValue(threads));
            MaxImagePixelsOption.Apply(result.GetValue(maxPixels));
            var spec = result.GetValue(data)!;
            var train = Datasets.Open(spec, result.GetValue(resolution));
            using var scope = torch.NewDisposeScope();
            var (x, y) = DatasetTensors.LoadFirst(train);
            using var model = new SmallCnnClassifier(new ClassifierConfig(train.Channels, train.Resolution, train.NumClasses), result.GetValue(seed));
            var report = ClassifierTrainer.Train(model, x, y, new ClassifierTrainingOptions { Epochs = result.GetValue(epochs), Seed = result.GetValue(seed) },
                (epoch, loss, accuracy) => AnsiConsole.MarkupLine($"epoch {epoch + 1}: loss {loss:F4}, train accuracy {accuracy:P1}"));
            var test = OpenTestSplit(spec, train.Resolution);
            var (tx, ty) = DatasetTensors.LoadFirst(test);
            AnsiConsole.MarkupLine($"test accuracy {ClassifierTrainer.Accuracy(model, tx, ty):P2} on {tx.size(0)} images");
            model.Save(result.GetValue(output)!);
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(result.GetValue(output)!)}[/]");
            return 0;
        }));
        return command;
    }

    // The test split where the data set has one (idx, CIFAR); an image folder has none, so its images serve.
    private static IImageDataset OpenTestSplit(string spec, int resolution)
    {
        try { return Datasets.Open(spec, resolution, new DatasetOptions { Split = DatasetSplit.Test }); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException or InvalidDataException)
        {
            Consoles.Error.MarkupLine($"[yellow]no test split for {Markup.Escape(spec)} ({Markup.Escape(e.Message)}); using its images[/]");
            return Datasets.Open(spec, resolution);
        }
    }
}
