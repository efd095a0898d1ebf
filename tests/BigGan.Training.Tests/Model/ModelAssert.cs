using BigGan.Training.Model;

namespace BigGan.Training.Tests.Model;

internal static class ModelAssert
{
    /// <summary>Largest absolute difference between two tensors of the same shape (as float64).</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        CollectionAssert.AreEqual(a.shape, b.shape, $"shapes differ: [{string.Join(", ", a.shape)}] vs [{string.Join(", ", b.shape)}]");
        using var scope = NewDisposeScope();
        return a.to(float64).sub(b.to(float64)).abs().max().ToDouble();
    }

    public static void Close(Tensor expected, Tensor actual, double tolerance, string what = "")
    {
        var d = MaxAbsDiff(expected, actual);
        Assert.IsTrue(d <= tolerance, $"{what}: max |difference| {d:G4} > {tolerance:G4}");
    }

    public static void Shape(Tensor t, params long[] expected) =>
        CollectionAssert.AreEqual(expected, t.shape, $"shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", expected)}]");

    /// <summary>Runs training-mode forwards until every SN u vector of the module has converged (so gradchecks, which
    /// call the function many times, see a fixed W/σ).</summary>
    public static void ConvergeSpectralNorm(nn.Module module, Action forward, int steps = 300)
    {
        module.train();
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            forward();
        }
    }
}
