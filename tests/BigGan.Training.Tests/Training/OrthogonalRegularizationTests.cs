using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class OrthogonalRegularizationTests
{
    private sealed class Net : torch.nn.Module
    {
        public Net() : base(nameof(Net))
        {
            using var g = new Generator(3);
            using var scope = NewDisposeScope();
            this.RegisterParameter("conv", new Parameter(randn(new long[] { 4, 3, 2, 2 }, ScalarType.Float64, generator: g)));
            this.RegisterParameter("linear", new Parameter(randn(new long[] { 5, 3 }, ScalarType.Float64, generator: g)));
            this.RegisterParameter("bias", new Parameter(randn(new long[] { 5 }, ScalarType.Float64, generator: g)));
            this.RegisterParameter("shared", new Parameter(randn(new long[] { 6, 3 }, ScalarType.Float64, generator: g)));
        }

        public Parameter this[string name] => named_parameters().Single(p => p.name == name).parameter;
    }

    // (β/2)·Σ_{i≠j} (w_i·w_j)² by explicit loops over the rows of W = weight viewed as [out, -1].
    private static double LoopPenalty(double[] w, int rows, double beta)
    {
        int cols = w.Length / rows;
        double sum = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < rows; j++)
            {
                if (i == j) continue;
                double dot = 0;
                for (int k = 0; k < cols; k++) dot += w[i * cols + k] * w[j * cols + k];
                sum += dot * dot;
            }
        return beta / 2 * sum;
    }

    [TestMethod]
    public void PenaltyIsHalfBetaTimesTheOffDiagonalFrobeniusNormSquared()
    {
        using var net = new Net();
        using var scope = NewDisposeScope();
        foreach (var name in new[] { "conv", "linear" })
        {
            var p = net[name];
            Assert.AreEqual(LoopPenalty(p.ToArray<double>(), (int)p.size(0), 1e-2), OrthogonalRegularization.Penalty(p, 1e-2).ToDouble(), 1e-12, name);
        }
    }

    [TestMethod]
    public void AppliedGradientEqualsAutogradOfTheExplicitPenalty()
    {
        const double beta = 1e-2;
        using var net = new Net();
        using var scope = NewDisposeScope();
        // existing gradients from a "loss": the regularizer must add to them
        var existing = new Dictionary<string, double[]>();
        foreach (var (name, p) in net.named_parameters())
        {
            using var g = full(p.shape, 0.125, ScalarType.Float64);
            p.grad = g;
            existing[name] = p.grad!.ToArray<double>();
        }
        var expected = new Dictionary<string, double[]>();
        foreach (var name in new[] { "conv", "linear" })
        {
            var p = net[name];
            var grad = autograd.grad([OrthogonalRegularization.Penalty(p, beta)], [p])[0]!;
            expected[name] = grad.ToArray<double>();
        }

        var updated = OrthogonalRegularization.Apply(net, beta, exclude: name => name == "shared");

        CollectionAssert.AreEqual(new[] { "conv", "linear" }, updated.ToArray());
        foreach (var name in new[] { "conv", "linear" })
        {
            var actual = net[name].grad!.ToArray<double>();
            for (int i = 0; i < actual.Length; i++)
                Assert.AreEqual(existing[name][i] + expected[name][i], actual[i], 1e-12, $"{name}[{i}]");
        }
        CollectionAssert.AreEqual(existing["bias"], net["bias"].grad!.ToArray<double>(), "1-d parameters are skipped");
        CollectionAssert.AreEqual(existing["shared"], net["shared"].grad!.ToArray<double>(), "excluded parameters are skipped");
    }

    [TestMethod]
    public void ParametersWithoutGradientReceiveTheRegularizerGradient()
    {
        using var net = new Net();
        using var scope = NewDisposeScope();
        var p = net["linear"];
        var expected = OrthogonalRegularization.Gradient(p, 0.5).ToArray<double>();
        OrthogonalRegularization.Apply(net, 0.5);
        CollectionAssert.AreEqual(expected, p.grad!.ToArray<double>());
        Assert.IsNull(net["bias"].grad);
    }

    [TestMethod]
    public void ZeroStrengthIsANoOpAndNegativeIsRejected()
    {
        using var net = new Net();
        Assert.AreEqual(0, OrthogonalRegularization.Apply(net, 0).Count);
        Assert.IsNull(net["conv"].grad);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OrthogonalRegularization.Apply(net, -1));
    }

    [TestMethod]
    public void OrthogonalRowsGetNoGradient()
    {
        using var scope = NewDisposeScope();
        var w = eye(3, 5, ScalarType.Float64).mul(2.0);
        CollectionAssert.AreEqual(new double[15], OrthogonalRegularization.Gradient(w, 1).ToArray<double>());
    }
}
