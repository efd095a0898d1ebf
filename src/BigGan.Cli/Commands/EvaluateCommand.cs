using System.CommandLine;
using System.Text.Json;
using BigGan.Torch;
using BigGan.Training.Data;
using BigGan.Training.Evaluation;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan evaluate</c>: FID and an Inception-Score-style score of a run's EMA generator, computed with a small CNN
/// trained on the real data (no ImageNet Inception weights can be had here), plus how often that classifier agrees with
/// the requested class and, with --cas, the Classification Accuracy Score (a fresh classifier trained on generated
/// images only, tested on real ones). <c>biggan evaluate train-classifier</c> trains the feature network.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run folder to evaluate", Required = true };
        var classifier = new Option<string>("--classifier") { Description = "feature network from `biggan evaluate train-classifier`", Required = true };
        var data = new Option<string>("--data") { Description = "real data for the reference statistics (default: the run's training data)" };
        var perClass = new Option<int>("--per-class") { Description = "generated images per class", DefaultValueFactory = _ => 500 };
        var realCount = new Option<int>("--real") { Description = "real (test split) images for the reference statistics", DefaultValueFactory = _ => 10000 };
        var cas = new Option<bool>("--cas") { Description = "also compute the Classification Accuracy Score" };
        var json = new Option<string>("--json") { Description = "write the scores as JSON here (default: <run>/evaluation.json)" };
        var command = new Command("evaluate", "score a trained generator: FID, IS-style score, class agreement, CAS")
        {
            run, classifier, data, perClass, realCount, cas, json, TrainClassifier(),
        };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var runDir = result.GetValue(run)!;
            using var sampler = BigGanSampler.Load(runDir);
            using var network = SmallCnnClassifier.Load(result.GetValue(classifier)!);
            var spec = result.GetValue(data) ?? Training.Training.RunConfig.Load(Path.Combine(runDir, Training.Training.RunConfig.FileName)).Train.Data
                ?? throw new ArgumentException("--data is required: the run's config names no data set");
            var test = OpenTestSplit(spec, sampler.Resolution);

            using var scope = torch.NewDisposeScope();
            var n = result.GetValue(perClass);
            var classes = Enumerable.Range(0, sampler.NumClasses).ToArray();
            var fake = sampler.Sample(classes, n, Truncation.None, seed: 0);
            var fakeLabels = torch.arange(sampler.NumClasses).unsqueeze(1).repeat(1, n).reshape(-1);
            var (real, realLabels) = DatasetTensors.LoadFirst(test, result.GetValue(realCount));

            var (fakeFeatures, fakeProbabilities) = network.ExtractAll(fake);
            var (realFeatures, _) = network.ExtractAll(real);
            var scores = new Dictionary<string, double>
            {
                ["fid"] = FrechetDistance.Compute(realFeatures, fakeFeatures),
                ["is"] = InceptionScore.FromProbabilities(fakeProbabilities).mean,
                ["class_agreement"] = fakeProbabilities.argmax(1).eq(fakeLabels).to(ScalarType.Float64).mean().item<double>(),
                ["classifier_real_accuracy"] = ClassifierTrainer.Accuracy(network, real, realLabels),
            };
            if (result.GetValue(cas))
                scores["cas"] = ClassificationAccuracyScore.Evaluate(fake, fakeLabels, real, realLabels, network.Config).TestAccuracy;

            var table = new Table().AddColumns("score", "value");
            foreach (var (k, v) in scores) table.AddRow(k, v.ToString("G5", System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            var output = result.GetValue(json) ?? Path.Combine(runDir, "evaluation.json");
            AtomicFile.WriteAllText(output, JsonSerializer.Serialize(new
            {
                run = Path.GetFullPath(runDir), step = sampler.Step, classifier = network.Name, generated = fake.size(0), real = real.size(0), scores,
            }, new JsonSerializerOptions { WriteIndented = true }));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(output)}[/]");
            return 0;
        }));
        return command;
    }

    private static Command TrainClassifier()
    {
        var data = new Option<string>("--data") { Description = "training data (folder, idx file, CIFAR folder or fashion-mnist)", Required = true };
        var output = new Option<string>("--out") { Description = "where to save the classifier (safetensors)", Required = true };
        var resolution = new Option<int>("--resolution") { Description = "image size", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int>("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 0 };
        var command = new Command("train-classifier", "train the small CNN used as the feature network of `biggan evaluate`") { data, output, resolution, epochs, seed };
        command.SetAction(result => CommandRunner.Run(() =>
        {
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
            AnsiConsole.MarkupLine($"[yellow]no test split for {Markup.Escape(spec)} ({Markup.Escape(e.Message)}); using its images[/]");
            return Datasets.Open(spec, resolution);
        }
    }
}
