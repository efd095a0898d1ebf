using BigGan.Training.Data;
using BigGan.Training.Evaluation;

namespace BigGan.Training.Tests.Evaluation;

[TestClass]
public sealed class SmallCnnClassifierTests
{
    private static readonly ClassifierConfig Config = new(Channels: 1, Resolution: 16, NumClasses: 4, Width: 8, FeatureDimension: 32);
    private static readonly ClassifierTrainingOptions Options = new() { Epochs = 3, BatchSize = 32, LearningRate = 3e-3, Seed = 1 };

    [ClassInitialize]
    public static void Setup(TestContext _) => set_num_threads(1);

    /// <summary>
    /// A separable toy problem: noisy dark 16×16 images with a bright 8×8 square in the quadrant named by the class
    /// (brightness shifted by <paramref name="offset"/> to make a "different distribution").
    /// </summary>
    internal static (Tensor images, Tensor labels) Quadrants(int n, ulong seed, double offset = 0)
    {
        using var g = new Generator(seed);
        using var scope = NewDisposeScope();
        var labels = randint(0, 4, [n], generator: g);
        var masks = zeros(4, 1, 16, 16);
        for (int k = 0; k < 4; k++) masks[k].narrow(1, 8 * (k / 2), 8).narrow(2, 8 * (k % 2), 8).fill_(1.2);
        var images = randn([n, 1, 16, 16], generator: g).mul(0.3).add(-0.6 + offset).add(masks.index_select(0, labels)).clamp(-1, 1);
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    [TestMethod]
    public void LearnsASeparableProblemAndRoundTripsThroughAFile()
    {
        using var scope = NewDisposeScope();
        var (trainX, trainY) = Quadrants(256, 1);
        var (testX, testY) = Quadrants(128, 2);
        using var model = new SmallCnnClassifier(Config, seed: 3);
        var report = ClassifierTrainer.Train(model, trainX, trainY, Options);
        Assert.AreEqual(3 * 8, report.Steps);
        Assert.IsFalse(model.training, "the model ends in eval mode");
        var accuracy = ClassifierTrainer.Accuracy(model, testX, testY);
        Assert.IsTrue(accuracy > 0.9, $"test accuracy {accuracy:P1} after {report.Elapsed.TotalSeconds:F1} s (train {report.TrainAccuracy:P1}, loss {report.FinalLoss:F3})");

        var (features, logits) = model.Extract(testX);
        CollectionAssert.AreEqual(new long[] { 128, 32 }, features.shape);
        CollectionAssert.AreEqual(new long[] { 128, 4 }, logits.shape);
        Assert.IsTrue(features.min().item<float>() >= 0, "features are post-ReLU");
        Assert.IsFalse(logits.requires_grad, "Extract records no gradients");

        var dir = Directory.CreateTempSubdirectory("biggan-cls-");
        try
        {
            var path = Path.Combine(dir.FullName, "cls.safetensors");
            model.Save(path, new Dictionary<string, string> { ["dataset"] = "quadrants" });
            using var loaded = SmallCnnClassifier.Load(path, out var meta);
            Assert.AreEqual(Config, loaded.Config);
            Assert.AreEqual("quadrants", meta["dataset"]);
            var (f2, l2) = loaded.Extract(testX);
            CollectionAssert.AreEqual(logits.ToArray<float>(), l2.ToArray<float>());
            CollectionAssert.AreEqual(features.ToArray<float>(), f2.ToArray<float>());

            var stats = Path.Combine(dir.FullName, "stats.safetensors");
            GaussianStatistics.FromFeatures(features).Save(stats);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => SmallCnnClassifier.Load(stats));
            StringAssert.Contains(e.Message, "not a BigGan.NET classifier");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void TrainingIsDeterministicForASeed()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Quadrants(64, 5);
        var options = Options with { Epochs = 1, HorizontalFlip = true };
        using var a = new SmallCnnClassifier(Config, seed: 9);
        using var b = new SmallCnnClassifier(Config, seed: 9);
        ClassifierTrainer.Train(a, x, y, options);
        ClassifierTrainer.Train(b, x, y, options);
        foreach (var ((name, pa), (_, pb)) in a.state_dict().Zip(b.state_dict()))
            CollectionAssert.AreEqual(pa.ToArray<float>(), pb.ToArray<float>(), name);
    }

    [TestMethod]
    public void DecayToZeroLowersTheRateLinearlyAndChangesOnlyThat()
    {
        Assert.AreEqual(2e-3, ClassifierTrainer.DecayedRate(2e-3, 0, 10), 1e-15);
        Assert.AreEqual(1e-3, ClassifierTrainer.DecayedRate(2e-3, 5, 10), 1e-15);
        Assert.AreEqual(2e-4, ClassifierTrainer.DecayedRate(2e-3, 9, 10), 1e-15);
        using var scope = NewDisposeScope();
        var (x, y) = Quadrants(64, 5);
        float[] Weights(bool decay)
        {
            using var model = new SmallCnnClassifier(Config, seed: 9);
            ClassifierTrainer.Train(model, x, y, Options with { Epochs = 2, DecayToZero = decay });
            return model.state_dict().Values.SelectMany(t => t.ToArray<float>()).ToArray();
        }
        var decayed = Weights(true);
        CollectionAssert.AreEqual(decayed, Weights(true), "deterministic for a seed");
        CollectionAssert.AreNotEqual(decayed, Weights(false), "the schedule changes the steps");
    }

    /// <summary>An endless seeded stream of fresh quadrant images.</summary>
    private sealed class QuadrantSource(ulong seed) : IBatchSource
    {
        private ulong _next = seed;
        public int NumClasses => 4;
        public int Channels => 1;
        public int Resolution => 16;
        public IReadOnlyList<string> ClassNames => ["top-left", "top-right", "bottom-left", "bottom-right"];
        public (Tensor images, Tensor labels) Next(int batchSize) => Quadrants(batchSize, _next++);
        public string SaveState() => _next.ToString(System.Globalization.CultureInfo.InvariantCulture);
        public void LoadState(string state) => _next = ulong.Parse(state, System.Globalization.CultureInfo.InvariantCulture);
        public void Dispose() { }
    }

    [TestMethod]
    public void TrainsFromABatchSource()
    {
        using var scope = NewDisposeScope();
        using var model = new SmallCnnClassifier(Config, seed: 4);
        using var source = new QuadrantSource(100);
        var report = ClassifierTrainer.Train(model, source, steps: 25, Options);
        Assert.AreEqual(25, report.Steps);
        var (testX, testY) = Quadrants(128, 3);
        var accuracy = ClassifierTrainer.Accuracy(model, testX, testY);
        Assert.IsTrue(accuracy > 0.9, $"accuracy {accuracy:P1} (last steps: train {report.TrainAccuracy:P1}, loss {report.FinalLoss:F3})");

        using var wrong = new SmallCnnClassifier(Config with { NumClasses = 5 });
        Assert.ThrowsExactly<ArgumentException>(() => ClassifierTrainer.Train(wrong, source, 1, Options));
    }

    [TestMethod]
    public void CasIsHighForFaithfulSamplesAndNearChanceForWrongLabels()
    {
        using var scope = NewDisposeScope();
        var (generatedX, generatedY) = Quadrants(256, 11);
        var (realX, realY) = Quadrants(128, 12);
        var faithful = ClassificationAccuracyScore.Evaluate(generatedX, generatedY, realX, realY, Config, Options);
        Assert.IsTrue(faithful.TestAccuracy > 0.9, $"CAS {faithful.TestAccuracy:P1}");
        Assert.AreEqual(256, faithful.TrainCount);
        Assert.AreEqual(128, faithful.TestCount);

        // Class leakage: the generator ignores the class it is asked for (labels shifted by one).
        var wrong = ClassificationAccuracyScore.Evaluate(generatedX, generatedY.add(1).remainder(4), realX, realY, Config, Options);
        Assert.IsTrue(wrong.TestAccuracy < 0.3, $"CAS with wrong labels {wrong.TestAccuracy:P1}");
    }

    [TestMethod]
    public void TwoSampleTestSeparatesDifferentSetsOnly()
    {
        using var scope = NewDisposeScope();
        var options = Options with { Epochs = 4 };
        var (real, _) = Quadrants(256, 21);
        var (same, _) = Quadrants(256, 22);
        var (brighter, _) = Quadrants(256, 23, offset: 0.4);
        var alike = ClassifierTwoSampleTest.Evaluate(real, same, options, width: 8);
        var apart = ClassifierTwoSampleTest.Evaluate(real, brighter, options, width: 8);
        Assert.IsTrue(alike.TestAccuracy < 0.65, $"same distribution: accuracy {alike.TestAccuracy:P1}");
        Assert.IsTrue(apart.TestAccuracy > 0.9, $"different distributions: accuracy {apart.TestAccuracy:P1}");
    }

    [TestMethod]
    public void RejectsBadDataAndConfigs()
    {
        using var scope = NewDisposeScope();
        using var model = new SmallCnnClassifier(Config);
        var (x, y) = Quadrants(8, 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ClassifierTrainer.Train(model, x, y.add(4), Options));
        StringAssert.Contains(e.Message, "4 classes");
        Assert.ThrowsExactly<ArgumentException>(() => ClassifierTrainer.Train(model, x.narrow(2, 0, 8), y, Options));
        Assert.ThrowsExactly<ArgumentException>(() => ClassifierTrainer.Train(model, x, y.narrow(0, 0, 4), Options));
        Assert.ThrowsExactly<ArgumentException>(() => model.Extract(ones(2, 3, 16, 16)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(model, x, y, Options with { Epochs = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SmallCnnClassifier(Config with { Channels = 2 }));
        Assert.ThrowsExactly<InvalidDataException>(() => ClassifierConfig.FromJson("{\"channels\": 3"));
    }
}
