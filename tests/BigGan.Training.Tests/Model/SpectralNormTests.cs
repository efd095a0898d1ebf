using BigGan.Training.Tests.Support;
using BigGan.Training.Model;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Tests.Model;

[TestClass]
public sealed class SpectralNormTests
{
    // W[i, j] = sin(7i + 3j) + 0.1 i; singular values from torch.linalg.svdvals (Python torch 1.13, float64).
    private static readonly double[] SvdOfW = [3.465923073091945, 0.8634291793286898, 0.20296866211298448];

    private static Tensor TestMatrix(ScalarType dtype = ScalarType.Float32)
    {
        var w = new double[4 * 6];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 6; j++)
                w[i * 6 + j] = Math.Sin(i * 7 + j * 3) + 0.1 * i;
        using var t = torch.tensor(w, [4, 6]);
        return t.to(dtype);
    }

    // Independent check: power iteration on WᵀW in plain C# doubles, run to convergence.
    private static double PowerIterationSigma(double[,] w, int iterations = 5000)
    {
        int m = w.GetLength(0), n = w.GetLength(1);
        var v = new double[n];
        for (int j = 0; j < n; j++) v[j] = 1.0 / (j + 1);
        double sigma = 0;
        for (int it = 0; it < iterations; it++)
        {
            var u = new double[m];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) u[i] += w[i, j] * v[j];
            var next = new double[n];
            for (int j = 0; j < n; j++) for (int i = 0; i < m; i++) next[j] += w[i, j] * u[i];
            var norm = Math.Sqrt(next.Sum(x => x * x));
            for (int j = 0; j < n; j++) v[j] = next[j] / norm;
            sigma = Math.Sqrt(norm);
        }
        return sigma;
    }

    [TestMethod]
    public void TopSingularValueMatchesSvdAfterTrainingForwards()
    {
        using var rng = new Rng(1);
        using var layer = new SNLinear(6, 4, bias: false, new SpectralNormOptions(1, 1, 1e-8), rng);
        using (no_grad()) { using var w = TestMatrix(); layer.weight.copy_(w); }
        using var x = torch.randn(2, 6);
        for (int i = 0; i < 40; i++) { using var _ = layer.forward(x); }
        var sv = layer.SingularValues();
        Assert.AreEqual(SvdOfW[0], sv[0], 1e-5);

        using var wd = TestMatrix(ScalarType.Float64);
        var arr = new double[4, 6];
        var flat = wd.ToArray<double>();
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) arr[i, j] = flat[i * 6 + j];
        Assert.AreEqual(PowerIterationSigma(arr), sv[0], 1e-5);
    }

    [TestMethod]
    public void SecondSingularValueWithGramSchmidt()
    {
        using var rng = new Rng(2);
        using var layer = new SNLinear(6, 4, bias: false, new SpectralNormOptions(2, 1, 1e-8), rng);
        using (no_grad()) { using var w = TestMatrix(); layer.weight.copy_(w); }
        using var x = torch.randn(2, 6);
        for (int i = 0; i < 60; i++) { using var _ = layer.forward(x); }
        var sv = layer.SingularValues();
        Assert.AreEqual(SvdOfW[0], sv[0], 1e-5);
        Assert.AreEqual(SvdOfW[1], sv[1], 1e-4);
        Assert.AreEqual(2, layer.U.Count);
    }

    [TestMethod]
    public void PowerIterationsPerForwardAreConfigurable()
    {
        using var rng = new Rng(3);
        using var layer = new SNLinear(6, 4, bias: false, new SpectralNormOptions(1, 30, 1e-8), rng);
        using (no_grad()) { using var w = TestMatrix(); layer.weight.copy_(w); }
        using var x = torch.randn(2, 6);
        using (layer.forward(x)) { }
        Assert.AreEqual(SvdOfW[0], layer.SingularValues()[0], 1e-5, "30 iterations in one forward converge");
    }

    [TestMethod]
    public void OutputIsWeightDividedBySigmaFromStoredU()
    {
        // One step, computed by hand from the stored u: v = u W / |u W|, σ = |v Wᵀ|, y = x (W/σ)ᵀ + b.
        using var rng = new Rng(4);
        using var layer = new SNLinear(5, 3, bias: true, new SpectralNormOptions(1, 1, 1e-8), rng);
        using var scope = NewDisposeScope();
        var x = torch.randn([4, 5], generator: rng);
        var u0 = layer.U[0].clone();
        var y = layer.forward(x);
        using var _ = no_grad();
        var w = layer.weight;
        var uw = u0.mm(w);
        var v = uw / uw.norm();
        var sigma = v.mm(w.t()).norm();
        var expected = x.mm((w / sigma).t()) + layer.bias!;
        ModelAssert.Close(expected, y, 1e-6, "SN linear output");
        Assert.AreEqual(sigma.ToDouble(), layer.SingularValues()[0], 1e-6);
        var uNew = v.mm(w.t()) / sigma;
        ModelAssert.Close(uNew, layer.U[0], 1e-6, "u written back");
    }

    [TestMethod]
    public void UIsUpdatedOnlyInTrainingMode()
    {
        using var rng = new Rng(5);
        using var layer = new SNConv2d(3, 4, 3, 1, true, default, rng);
        using var scope = NewDisposeScope();
        var x = torch.randn([2, 3, 6, 6], generator: rng);
        var before = layer.U[0].clone();
        var svBefore = layer.Sv[0].clone();
        layer.eval();
        var yEval1 = layer.forward(x);
        var yEval2 = layer.forward(x);
        Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(before, layer.U[0]), "eval must not touch u");
        Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(svBefore, layer.Sv[0]), "eval must not touch sv");
        Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(yEval1, yEval2), "eval is repeatable");
        layer.train();
        layer.forward(x);
        Assert.IsTrue(ModelAssert.MaxAbsDiff(before, layer.U[0]) > 1e-4, "training forward updates u");
        Assert.IsTrue(ModelAssert.MaxAbsDiff(svBefore, layer.Sv[0]) > 1e-4, "training forward updates sv");
        var afterTrain = layer.U[0].clone();
        using (no_grad()) layer.forward(x);
        Assert.IsTrue(ModelAssert.MaxAbsDiff(afterTrain, layer.U[0]) > 0, "training forward under no_grad still updates u (as G in D steps)");
    }

    [TestMethod]
    public void GradientOfNormalizedWeightMatchesFiniteDifferences()
    {
        using var rng = new Rng(6);
        using var layer = new SNLinear(5, 4, bias: false, default, rng);
        layer.to(float64);
        using var eye = torch.eye(5, dtype: float64);
        // Converge u so the finite differences see the same fixed point autograd differentiates at.
        ModelAssert.ConvergeSpectralNorm(layer, () => layer.forward(eye), 500);
        layer.eval();
        var err = GradCheck.Run(_ => layer.forward(eye), [layer.weight], atol: 1e-6, rtol: 1e-4);
        Assert.IsTrue(err < 1e-5, $"worst error {err}");
    }

    [TestMethod]
    public void ConvGradientMatchesFiniteDifferencesInTrainingMode()
    {
        using var rng = new Rng(7);
        using var layer = new SNConv2d(2, 3, 3, 1, true, default, rng);
        layer.to(float64);
        using var x = torch.randn([2, 2, 4, 4], float64, generator: rng).requires_grad_();
        ModelAssert.ConvergeSpectralNorm(layer, () => layer.forward(x), 500);
        var err = GradCheck.Run(a => layer.forward(a[0]), [x, layer.weight, layer.bias!], atol: 1e-6, rtol: 1e-4);
        Assert.IsTrue(err < 1e-5, $"worst error {err}");
    }

    [TestMethod]
    public void EmbeddingIsNormalizedOverTheTable()
    {
        using var rng = new Rng(8);
        using var layer = new SNEmbedding(4, 6, new SpectralNormOptions(1, 50, 1e-8), rng);
        using (no_grad()) { using var w = TestMatrix(); layer.weight.copy_(w); }
        using var scope = NewDisposeScope();
        var ids = torch.tensor(new long[] { 3, 0, 3 });
        var rows = layer.forward(ids);
        Assert.AreEqual(SvdOfW[0], layer.SingularValues()[0], 1e-5);
        using var w2 = TestMatrix();
        var expected = w2.index_select(0, ids) / SvdOfW[0];
        ModelAssert.Close(expected, rows, 1e-5, "embedding rows / σ");
    }

    [TestMethod]
    public void SingularValueLogListsEveryLayer()
    {
        var config = ModelConfig.Cifar(ch: 2) with { Resolution = 32 };
        using var rng = new Rng(9);
        using var d = new Discriminator(config, rng);
        var log = d.SingularValues();
        var layers = d.SpectralNormLayers().ToList();
        Assert.AreEqual(layers.Count, log.Count);
        Assert.IsTrue(log.Any(e => e.Name == "blocks.0.0.conv1.sv0"), string.Join(", ", log.Select(e => e.Name)));
        Assert.IsTrue(log.Any(e => e.Name == "embed.sv0"));
        Assert.IsTrue(log.All(e => e.Value == 1.0), "sv buffers start at 1");
        using var scope = NewDisposeScope();
        d.forward(torch.randn([2, 3, 32, 32], generator: rng), torch.tensor(new long[] { 1, 2 }));
        Assert.IsTrue(d.SingularValues().All(e => e.Value != 1.0 && e.Value > 0), "a training forward logs σ");
    }
}
