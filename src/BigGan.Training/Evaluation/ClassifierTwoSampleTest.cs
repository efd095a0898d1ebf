using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Classifier two-sample test (Lopez-Paz and Oquab 2017): a fresh classifier learns to tell real from generated
/// images on one half of each set and is tested on the other half. Accuracy near 0.5 means the two sets cannot be
/// told apart by this classifier; near 1 means they are easy to separate.
/// </summary>
public static class ClassifierTwoSampleTest
{
    public static ClassifierScore Evaluate(Tensor real, Tensor generated, ClassifierTrainingOptions? options = null, int width = 16, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        var rs = real.shape;
        var gs = generated.shape;
        if (rs.Length != 4 || !rs.Skip(1).SequenceEqual(gs.Skip(1)) || rs[2] != rs[3])
            throw new ArgumentException($"real and generated images must both be [N, C, H, H] of the same C and H, got [{string.Join(", ", rs)}] and [{string.Join(", ", gs)}]");
        // Balanced classes: the same number from each set, half of it for training.
        var n = Math.Min(rs[0], gs[0]);
        var half = n / 2;
        if (half < 2) throw new ArgumentException($"the two-sample test needs at least 4 images per set, got {rs[0]} real and {gs[0]} generated");
        var config = new ClassifierConfig((int)rs[1], (int)rs[2], NumClasses: 2, Width: width, FeatureDimension: 4 * width);

        using var scope = torch.NewDisposeScope();
        var realIdx = Shuffled(rs[0], seed);
        var fakeIdx = Shuffled(gs[0], seed + 1);
        Tensor Take(Tensor x, long[] idx, long from, long count) => x.index_select(0, torch.tensor(idx.AsSpan((int)from, (int)count).ToArray()));
        var trainX = torch.cat([Take(real, realIdx, 0, half), Take(generated, fakeIdx, 0, half)], 0);
        var testX = torch.cat([Take(real, realIdx, half, n - half), Take(generated, fakeIdx, half, n - half)], 0);
        var trainY = torch.cat([torch.zeros([half], ScalarType.Int64), torch.ones([half], ScalarType.Int64)], 0);
        var testY = torch.cat([torch.zeros([n - half], ScalarType.Int64), torch.ones([n - half], ScalarType.Int64)], 0);
        return ClassificationAccuracyScore.Evaluate(trainX, trainY, testX, testY, config, options, seed);
    }

    private static long[] Shuffled(long count, ulong seed)
    {
        var idx = new long[count];
        for (long i = 0; i < count; i++) idx[i] = i;
        new Random(unchecked((int)(seed ^ (seed >> 32)))).Shuffle(idx);
        return idx;
    }
}
