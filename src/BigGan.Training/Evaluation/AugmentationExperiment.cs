using TorchSharp;
using BigGan.Training.Data;
using BigGan.Training.Sampling;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Test accuracies of the same classifier trained on real images only and on real plus synthetic ones, and the class
/// agreement of the synthetic images: the share the real-only classifier assigns to their requested class (NaN
/// without synthetic images). Low agreement means the synthetic images teach wrong labels.
/// </summary>
public sealed record AugmentationResult(int RealPerClass, int SyntheticPerClass, int TestImages, double RealOnlyAccuracy, double AugmentedAccuracy,
    double SyntheticAgreement);

/// <summary>
/// The data-augmentation question a GAN user asks, answered with the project's own libtorch classifier (no ML.NET
/// needed): train a small CNN on a few real images per class, train it again with synthetic images of every class
/// added, and compare accuracies on the real test set. Same classifier seed and optimisation budget in steps for both.
/// </summary>
public static class AugmentationExperiment
{
    public static AugmentationResult Run(IImageDataset train, IImageDataset test, IImageSampler sampler, int realPerClass = 100,
        int syntheticPerClass = 100, int testImages = 2000, int epochs = 15, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(sampler);
        if (train.NumClasses != sampler.NumClasses || train.Resolution != sampler.Resolution || test.Channels != train.Channels)
            throw new ArgumentException("the generator's classes and resolution must match the training data, and the test data's channels the training data's");
        if (realPerClass < 1 || syntheticPerClass < 0 || testImages < 1 || epochs < 1)
            throw new ArgumentException("realPerClass, testImages and epochs must be positive and syntheticPerClass non-negative");

        using var scope = torch.NewDisposeScope();
        var (realX, realY) = DatasetTensors.Load(train, PerClassIndices(train, realPerClass, seed));
        var (testX, testY) = DatasetTensors.LoadFirst(test, testImages);
        var classes = Enumerable.Range(0, sampler.NumClasses).ToArray();
        var config = new ClassifierConfig(train.Channels, train.Resolution, train.NumClasses);

        SmallCnnClassifier Train(Tensor x, Tensor y)
        {
            var model = new SmallCnnClassifier(config, seed);
            // The same number of optimisation steps for both runs: the augmented set gets proportionally fewer epochs.
            var scaledEpochs = Math.Max(1, (int)Math.Round(epochs * (double)realX.size(0) / x.size(0)));
            // The rate decays to zero: at a constant rate the test accuracy of a CNN on 1,000 images swings by ±10 points
            // from seed to seed, more than synthetic data moves it.
            ClassifierTrainer.Train(model, x, y, new ClassifierTrainingOptions { Epochs = scaledEpochs, Seed = seed, DecayToZero = true });
            return model;
        }

        using var realModel = Train(realX, realY);
        var realOnly = ClassifierTrainer.Accuracy(realModel, testX, testY);
        double augmented = realOnly, agreement = double.NaN;
        if (syntheticPerClass > 0)
        {
            // In the data's own channels (a generator trained on gray data repeated into 3 channels gives its luma), as a
            // user adds them to the data set: a CNN would otherwise learn real from synthetic by channel differences.
            using var sampled = sampler.Sample(classes, syntheticPerClass, Truncation.None, seed + 1);
            var synthX = ImageChannels.Convert(sampled, train.Channels);
            var synthY = torch.arange(sampler.NumClasses).unsqueeze(1).repeat(1, syntheticPerClass).reshape(-1);
            agreement = ClassifierTrainer.Accuracy(realModel, synthX, synthY);
            using var augmentedModel = Train(torch.cat([realX, synthX]), torch.cat([realY, synthY]));
            augmented = ClassifierTrainer.Accuracy(augmentedModel, testX, testY);
        }
        return new AugmentationResult(realPerClass, syntheticPerClass, (int)testX.size(0), realOnly, augmented, agreement);
    }

    // The first n items of each class in a seeded order.
    private static int[] PerClassIndices(IImageDataset data, int n, ulong seed)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(unchecked((int)seed)).Shuffle(order);
        var taken = new int[data.NumClasses];
        var result = new List<int>();
        foreach (var i in order)
        {
            var c = data.GetLabel(i);
            if (taken[c] < n) { taken[c]++; result.Add(i); }
        }
        return result.ToArray();
    }
}
