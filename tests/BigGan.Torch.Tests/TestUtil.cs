namespace BigGan.Torch.Tests;

/// <summary>Small helpers shared by the tests: building tensors from literals and comparing values.</summary>
internal static class TestUtil
{
    public static Tensor F(float[] data, params long[] shape) => tensor(data, shape.Length == 0 ? null : shape);
    public static Tensor D(double[] data, params long[] shape) => tensor(data, shape.Length == 0 ? null : shape);
    public static Tensor L(long[] data, params long[] shape) => tensor(data, shape.Length == 0 ? null : shape);

    /// <summary>0, 1, ..., n-1 as float64 (or the given dtype), reshaped.</summary>
    public static Tensor Seq(ScalarType dtype, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        using var r = arange(0, n, 1, dtype);
        return r.reshape(shape);
    }

    public static double[] Values(Tensor t)
    {
        using var d = t.to(float64);
        return d.data<double>();
    }

    public static void Close(double[] expected, Tensor actual, double tol = 1e-6, string? what = null)
    {
        var got = Values(actual);
        Assert.HasCount(expected.Length, got, $"{what}: element count");
        for (int i = 0; i < expected.Length; i++)
        {
            var ok = double.IsNaN(expected[i]) ? double.IsNaN(got[i])
                : double.IsInfinity(expected[i]) ? got[i] == expected[i]
                : Math.Abs(expected[i] - got[i]) <= tol * Math.Max(1, Math.Abs(expected[i]));
            if (!ok) Assert.Fail($"{what}: element {i}: expected {expected[i]:R}, got {got[i]:R} (all: [{string.Join(", ", got)}])");
        }
    }

    public static void Close(double[] expected, long[] shape, Tensor actual, double tol = 1e-6, string? what = null)
    {
        CollectionAssert.AreEqual(shape, actual.shape, $"{what}: shape [{string.Join(", ", actual.shape)}]");
        Close(expected, actual, tol, what);
    }

    public static void Equal<T>(T[] expected, Tensor actual, string? what = null) where T : unmanaged =>
        CollectionAssert.AreEqual(expected, actual.data<T>(), $"{what}: got [{string.Join(", ", actual.data<T>())}]");

    public static void Shape(long[] expected, Tensor actual, string? what = null) =>
        CollectionAssert.AreEqual(expected, actual.shape, $"{what}: shape [{string.Join(", ", actual.shape)}]");

    /// <summary>Frees what earlier tests left to the finalizer, so live counts taken next are stable.</summary>
    public static void SettleFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "bgn-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
