using BigGan.Training.Data;
using BigGan.Training.Synthesis;
using FashionMnistAugmentation;
using Microsoft.ML;

// Fashion-MNIST augmentation: an ML.NET classifier trained on a small real subset, with and without images from a
// BigGAN generator, evaluated on the real test set.
//
//   dotnet run -c Release --project samples/FashionMnistAugmentation -- [--per-class 100] [--synthetic 0,100,500]
//       [--run <BigGAN run folder> | --pattern] [--data fashion-mnist] [--test-limit N] [--seed 1] [--short]
//
// --short is the CI check (seconds): 10 real and 0 or 10 synthetic images per class (the pattern stand-in unless --run
// is given), 200 test images, and a non-zero exit unless both models were trained and evaluated. Options after it win.
//
// --run opens the generator of a BigGAN run (through GeneratorRunLoader, which the BigGAN sampler sets up);
// --pattern plugs in PatternImageGenerator, a stand-in that only shows the plumbing (its images are not clothes).

var options = Options.Parse(args);
var ml = new MLContext(seed: options.Seed);

IConditionalImageGenerator? generator = null;
if (options.Run is not null) generator = GeneratorRunLoader.Load(options.Run);
else if (options.Pattern) generator = new PatternImageGenerator(10, channels: 1, resolution: 32, dimZ: 16, classNames: IdxDataset.FashionMnistClassNames);

int channels = generator?.Channels ?? 1, resolution = generator?.Resolution ?? 32;
if (generator is not null && generator.NumClasses != 10)
    throw new ArgumentException($"The generator has {generator.NumClasses} classes; Fashion-MNIST has 10.");
var datasetOptions = new DatasetOptions { Channels = channels };
var trainSet = Datasets.Open(options.Data, resolution, datasetOptions with { Split = DatasetSplit.Train });
var testSet = Datasets.Open(options.Data, resolution, datasetOptions with { Split = DatasetSplit.Test });
Console.WriteLine($"data: {trainSet.Source} ({trainSet.Count} train, {testSet.Count} test), images {channels}×{resolution}×{resolution}");

var realTrain = RealImages.Load(ml, trainSet, options.PerClass, options.Seed);
var realTest = RealImages.Load(ml, testSet, options.TestLimit is int t ? t / testSet.NumClasses : null, options.Seed);
var experiment = new AugmentationExperiment(ml, realTrain, realTest);

var results = new List<ExperimentResult>();
foreach (int perClass in options.Synthetic)
{
    if (perClass > 0 && generator is null)
    {
        Console.WriteLine($"skipping +{perClass}/class synthetic: no generator (pass --run <BigGAN run folder>, or --pattern for the stand-in)");
        continue;
    }
    results.Add(experiment.Run(generator, perClass, (ulong)options.Seed));
    Console.WriteLine($"done: {results[^1].TrainingSet}");
}

Console.WriteLine();
Console.WriteLine($"{"training set",-30} {"real",6} {"synth",6} {"micro-acc",9} {"macro-acc",9} {"log-loss",8} {"time",7}");
foreach (var r in results)
    Console.WriteLine($"{r.TrainingSet,-30} {r.RealRows,6} {r.SyntheticRows,6} {r.MicroAccuracy,9:F4} {r.MacroAccuracy,9:F4} {r.LogLoss,8:F4} {r.Time.TotalSeconds,6:F1}s");
Console.WriteLine($"(test: {realTest.GetRowCount() ?? 0} real images; generator: {(generator is null ? "none" : generator.GetType().Name)})");
if (options.Short && (results.Count != options.Synthetic.Length || results.Any(r => !(r.MicroAccuracy > 0.1) || double.IsNaN(r.LogLoss))))
{
    Console.Error.WriteLine("short mode: expected every model trained and better than chance (0.1)");
    return 1;
}
return 0;

internal sealed record Options(int PerClass, int[] Synthetic, string? Run, bool Pattern, string Data, int? TestLimit, int Seed, bool Short = false)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(100, [0, 100, 500], null, false, "fashion-mnist", null, 1);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--per-class" => o with { PerClass = int.Parse(Next()) },
                "--synthetic" => o with { Synthetic = Next().Split(',').Select(int.Parse).ToArray() },
                "--run" => o with { Run = Next() },
                "--pattern" => o with { Pattern = true },
                "--data" => o with { Data = Next() },
                "--test-limit" => o with { TestLimit = int.Parse(Next()) },
                "--seed" => o with { Seed = int.Parse(Next()) },
                "--short" => o with { Short = true, PerClass = 10, Synthetic = [0, 10], Pattern = o.Run is null, TestLimit = 200 },
                _ => throw new ArgumentException($"unknown option {args[i]}; see the comment at the top of Program.cs"),
            };
        }
        if (o.PerClass < 1) throw new ArgumentOutOfRangeException("--per-class", o.PerClass, "expected at least 1 image per class");
        if (o.Synthetic.Any(s => s < 0)) throw new ArgumentOutOfRangeException("--synthetic", "synthetic counts must be ≥ 0");
        return o;
    }
}
