using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

/// <summary>Small helpers for the IO tests: temp folders, tensors from literals, comparisons, live-tensor counts.</summary>
internal static class IOTestUtil
{
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "biggan-io-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A float32 tensor of <paramref name="data"/>, 1-d unless a shape is given (TorchSharp reads a null shape as a scalar).</summary>
    public static Tensor F(float[] data, params long[] shape) => shape.Length == 0 ? tensor(data) : tensor(data, shape);

    /// <summary>0, 1, ..., n-1 in <paramref name="dtype"/>, reshaped.</summary>
    public static Tensor Seq(ScalarType dtype, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        using var r = arange(0, n, 1, dtype);
        return r.reshape(shape);
    }

    public static void Equal<T>(T[] expected, Tensor actual, string? what = null) where T : unmanaged
    {
        using var c = actual.contiguous();
        CollectionAssert.AreEqual(expected, c.data<T>().ToArray(), $"{what}: got [{string.Join(", ", c.data<T>().ToArray())}]");
    }

    public static void Shape(long[] expected, Tensor actual, string? what = null) =>
        CollectionAssert.AreEqual(expected, actual.shape, $"{what}: shape [{string.Join(", ", actual.shape)}]");

    public static void Close(double[] expected, long[] shape, Tensor actual, double tol, string? what = null)
    {
        Shape(shape, actual, what);
        using var d = actual.to(ScalarType.Float64).contiguous();
        var got = d.data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], got[i], tol, $"{what}: element {i} (all: [{string.Join(", ", got)}])");
    }

    public static byte[] Bytes(Tensor t)
    {
        using var c = t.contiguous();
        return c.bytes.ToArray();
    }

    /// <summary>Tensors alive on this thread (TorchSharp's own count), for leak checks.</summary>
    public static long LiveTensors() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
