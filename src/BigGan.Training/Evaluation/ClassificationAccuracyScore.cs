using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Classification Accuracy Score (Ravuri and Vinyals 2019): train a fresh classifier only on generated images with
/// the classes they were generated for, then measure its accuracy on real held-out images. A generator that covers
/// each class's real distribution scores close to a classifier trained on real data; mode dropping and class
/// leakage lower the score even when samples look good (which FID and IS can miss).
/// </summary>
public static class ClassificationAccuracyScore
{
    public static ClassifierScore Evaluate(Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        ClassifierConfig config, ClassifierTrainingOptions? options = null, ulong modelSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ClassifierTrainer.CheckData(config, testImages, testLabels);
        using var model = new SmallCnnClassifier(config, modelSeed);
        // By default the rate decays to zero, as in the augmentation check: at a constant rate a CNN trained on a few
        // thousand images ends wherever its last steps left it (seen: 0.43–0.72 test accuracy over seeds and threads).
        var report = ClassifierTrainer.Train(model, trainImages, trainLabels, options ?? new ClassifierTrainingOptions { DecayToZero = true });
        var accuracy = ClassifierTrainer.Accuracy(model, testImages, testLabels);
        return new ClassifierScore(accuracy, report.TrainAccuracy, trainImages.size(0), testImages.size(0), report.Elapsed);
    }
}
