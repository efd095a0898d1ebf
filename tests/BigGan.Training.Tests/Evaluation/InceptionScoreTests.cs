using BigGan.Training.Evaluation;

namespace BigGan.Training.Tests.Evaluation;

[TestClass]
public sealed class InceptionScoreTests
{
    [TestMethod]
    public void UniformPredictionsScoreOneAndConfidentBalancedOnesScoreK()
    {
        using var scope = NewDisposeScope();
        var uniform = full([40, 5], 0.2);
        var (m, s) = InceptionScore.FromProbabilities(uniform);
        Assert.AreEqual(1, m, 1e-6);
        Assert.AreEqual(0, s, 1e-12);

        var oneHot = torch.nn.functional.one_hot(arange(40).remainder(5), 5).to(float32);
        (m, s) = InceptionScore.FromProbabilities(oneHot, splits: 4);
        Assert.AreEqual(5, m, 1e-9);
        Assert.AreEqual(0, s, 1e-9);

        // Collapse: every image confidently the same class → 1.
        var collapsed = torch.nn.functional.one_hot(zeros([40], int64), 5).to(float32);
        Assert.AreEqual(1, InceptionScore.FromProbabilities(collapsed).mean, 1e-12);
    }

    [TestMethod]
    public void SplitsAreContiguousAndTheirSpreadIsReported()
    {
        using var scope = NewDisposeScope();
        // First half: classes 0 and 1 alternate (IS 2 within the split); second half: always class 2 (IS 1).
        var labels = cat([arange(10).remainder(2), full([10], 2, int64)]);
        var p = torch.nn.functional.one_hot(labels, 3).to(float32);
        var (m, s) = InceptionScore.FromProbabilities(p, splits: 2);
        Assert.AreEqual(1.5, m, 1e-9);
        Assert.AreEqual(0.5, s, 1e-9);
        // One split: p(y) = (1/4, 1/4, 1/2), so E KL = ½ log 4 + ½ log 2 and IS = 2^1.5.
        Assert.AreEqual(Math.Pow(2, 1.5), InceptionScore.FromProbabilities(p).mean, 1e-9);
    }

    [TestMethod]
    public void LogitsGiveTheSameScoreAsTheirSoftmax()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var logits = randn([64, 7], generator: g).mul(3);
        var fromProbs = InceptionScore.FromProbabilities(torch.nn.functional.softmax(logits.to(float64), -1), splits: 4);
        var fromLogits = InceptionScore.FromLogits(logits, splits: 4);
        Assert.AreEqual(fromProbs.mean, fromLogits.mean, 1e-12);
        Assert.IsTrue(fromLogits.mean > 1 && fromLogits.mean < 7);
    }

    [TestMethod]
    public void RejectsNonProbabilities()
    {
        using var scope = NewDisposeScope();
        Assert.ThrowsExactly<ArgumentException>(() => InceptionScore.FromProbabilities(ones(4, 3)));
        Assert.ThrowsExactly<ArgumentException>(() => InceptionScore.FromProbabilities(full([4, 2], 0.5).sub(tensor(new float[] { 1, -1 }).mul(0.7))));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => InceptionScore.FromProbabilities(full([4, 2], 0.5), splits: 5));
        Assert.ThrowsExactly<ArgumentException>(() => InceptionScore.FromProbabilities(ones(4)));
    }
}
