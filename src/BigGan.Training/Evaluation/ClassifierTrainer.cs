using System.Diagnostics;
using TorchSharp;
using BigGan.Training.Data;
using F = TorchSharp.torch.nn.functional;

namespace BigGan.Training.Evaluation;

/// <summary>How a <see cref="SmallCnnClassifier"/> is trained (Adam on cross entropy).</summary>
public sealed record ClassifierTrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; }

    /// <summary>Random horizontal flips of half the images (for data whose classes are mirror-invariant).</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Seeds the shuffling and the flips (the weights are seeded by the classifier's constructor).</summary>
    public ulong Seed { get; init; }

    /// <summary>Lowers the learning rate linearly to zero over the epochs (whole-epoch training only): the model then
    /// ends at a settled point instead of wherever the last constant-rate steps left it, so its test accuracy varies
    /// far less from one seed to the next on small data.</summary>
    public bool DecayToZero { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be >= 1");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be >= 2 (batch norm needs batch statistics)");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be > 0");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be >= 0");
    }
}

/// <summary>What a training run did: steps, the mean loss and (training-mode) accuracy of its last epoch or last 100 steps.</summary>
public sealed record ClassifierTrainingReport(long Steps, double FinalLoss, double TrainAccuracy, TimeSpan Elapsed);

/// <summary>Trains <see cref="SmallCnnClassifier"/>s and measures their accuracy.</summary>
public static class ClassifierTrainer
{
    /// <summary>
    /// Trains on images [N, C, H, W] (float32 in [-1, 1]) and int64 labels [N] for whole epochs, reshuffling each
    /// epoch with a generator seeded from the options. The model ends in eval mode. <paramref name="onEpoch"/>
    /// receives (epoch, mean loss, training accuracy).
    /// </summary>
    public static ClassifierTrainingReport Train(SmallCnnClassifier model, Tensor images, Tensor labels, ClassifierTrainingOptions? options = null,
        Action<int, double, double>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ClassifierTrainingOptions();
        options.Validate();
        var n = CheckData(model.Config, images, labels);
        var clock = Stopwatch.StartNew();
        using var rng = new Generator(options.Seed);
        var shuffler = new Random(unchecked((int)(options.Seed ^ (options.Seed >> 32))));
        var permutation = new long[n];
        for (long i = 0; i < n; i++) permutation[i] = i;
        using var optimizer = new Adam(model.parameters(), options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
        model.train();
        long steps = 0, totalSteps = options.Epochs * ((n + options.BatchSize - 1) / options.BatchSize);
        double loss = double.NaN, accuracy = double.NaN;
        try
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                double lossSum = 0;
                long correct = 0;
                using (var epochScope = torch.NewDisposeScope())
                {
                    shuffler.Shuffle(permutation);
                    var order = torch.tensor(permutation);
                    for (long at = 0; at < n; at += options.BatchSize)
                    {
                        using var scope = torch.NewDisposeScope();
                        var idx = order.narrow(0, at, Math.Min(options.BatchSize, n - at));
                        if (idx.numel() < 2) continue; // a final batch of one cannot be batch-normalised
                        var x = images.index_select(0, idx);
                        var y = labels.index_select(0, idx);
                        if (options.HorizontalFlip) x = RandomFlip(x, rng);
                        if (options.DecayToZero)
                            foreach (var group in optimizer.ParamGroups) group.LearningRate = DecayedRate(options.LearningRate, steps, totalSteps);
                        var (l, c) = Step(model, optimizer, x, y);
                        lossSum += l * idx.numel();
                        correct += c;
                        steps++;
                    }
                }
                loss = lossSum / n;
                accuracy = (double)correct / n;
                onEpoch?.Invoke(epoch, loss, accuracy);
            }
        }
        finally
        {
            model.eval();
        }
        return new ClassifierTrainingReport(steps, loss, accuracy, clock.Elapsed);
    }

    /// <summary>The learning rate of step <paramref name="step"/> (from 0) of <paramref name="total"/> under
    /// <see cref="ClassifierTrainingOptions.DecayToZero"/>: linear from the base rate towards zero.</summary>
    public static double DecayedRate(double baseRate, long step, long total) => baseRate * (1 - (double)step / total);

    /// <summary>Trains for a number of steps on batches drawn from a (seeded) batch source. The model ends in eval mode.</summary>
    public static ClassifierTrainingReport Train(SmallCnnClassifier model, IBatchSource source, long steps, ClassifierTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be >= 1");
        options ??= new ClassifierTrainingOptions();
        options.Validate();
        var cfg = model.Config;
        if (source.Channels != cfg.Channels || source.Resolution != cfg.Resolution || source.NumClasses != cfg.NumClasses)
            throw new ArgumentException($"the batch source gives {source.Channels}x{source.Resolution}x{source.Resolution} images of {source.NumClasses} classes; the classifier expects {cfg.Channels}x{cfg.Resolution}x{cfg.Resolution} and {cfg.NumClasses} classes");
        var clock = Stopwatch.StartNew();
        using var rng = new Generator(options.Seed);
        using var optimizer = new Adam(model.parameters(), options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay);
        model.train();
        var recent = new Queue<(double loss, long correct, long count)>();
        try
        {
            for (long s = 0; s < steps; s++)
            {
                using var scope = torch.NewDisposeScope();
                var (x, y) = source.Next(options.BatchSize);
                if (options.HorizontalFlip) x = RandomFlip(x, rng);
                var (l, c) = Step(model, optimizer, x, y);
                recent.Enqueue((l, c, y.numel()));
                if (recent.Count > 100) recent.Dequeue();
            }
        }
        finally
        {
            model.eval();
        }
        var count = recent.Sum(r => r.count);
        return new ClassifierTrainingReport(steps, recent.Sum(r => r.loss * r.count) / count, (double)recent.Sum(r => r.correct) / count, clock.Elapsed);
    }

    /// <summary>Top-1 accuracy of a network on images [N, C, H, W] with int64 labels [N].</summary>
    public static double Accuracy(IFeatureNetwork network, Tensor images, Tensor labels, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64 || labels.size(0) != images.size(0))
            throw new ArgumentException($"labels must be int64 [N] with N = {images.size(0)} images, got {labels}");
        using var scope = torch.NewDisposeScope();
        var (_, probabilities) = network.ExtractAll(images, batchSize);
        return probabilities.argmax(1).eq(labels).to(ScalarType.Float64).mean().ToDouble();
    }

    private static (double loss, long correct) Step(SmallCnnClassifier model, Adam optimizer, Tensor x, Tensor y)
    {
        optimizer.zero_grad();
        var logits = model.forward(x);
        var loss = F.cross_entropy(logits, y);
        loss.backward();
        optimizer.step();
        using var _ = torch.no_grad();
        var correct = logits.argmax(1).eq(y).sum().item<long>();
        return (loss.ToDouble(), correct);
    }

    private static Tensor RandomFlip(Tensor x, Generator rng)
    {
        var mask = torch.rand([x.size(0), 1, 1, 1], generator: rng).lt(0.5);
        return torch.where(mask, x.flip(3), x);
    }

    internal static long CheckData(ClassifierConfig cfg, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        var s = images.shape;
        if (s.Length != 4 || s[1] != cfg.Channels || s[2] != cfg.Resolution || s[3] != cfg.Resolution || images.dtype != ScalarType.Float32)
            throw new ArgumentException($"images must be float32 [N, {cfg.Channels}, {cfg.Resolution}, {cfg.Resolution}] in [-1, 1], got {images}");
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64 || labels.size(0) != s[0])
            throw new ArgumentException($"labels must be int64 [N] with N = {s[0]} images, got {labels}");
        if (s[0] < 2) throw new ArgumentException($"training needs at least 2 images, got {s[0]}");
        using var scope = torch.NewDisposeScope();
        var min = labels.min().item<long>();
        var max = labels.max().item<long>();
        if (min < 0 || max >= cfg.NumClasses)
            throw new ArgumentException($"labels range over [{min}, {max}] but the classifier has {cfg.NumClasses} classes (0..{cfg.NumClasses - 1})");
        return s[0];
    }
}
