namespace BigGan.Training.IO;

/// <summary>
/// Copies the raw bytes of a contiguous CPU tensor to or from a stream without a managed copy of the data.
/// TorchSharp's <see cref="Tensor.bytes"/> is a span, so at most 2 GiB: larger tensors go in slices.
/// </summary>
internal static class TensorBytes
{
    /// <summary>The largest slice; settable so tests can exercise slicing without gigabytes.</summary>
    internal static long SliceBytes = 1L << 30;

    public static void Write(Tensor t, Stream stream)
    {
        foreach (var slice in Slices(t))
        {
            using (slice) stream.Write(slice.bytes);
        }
    }

    public static void Read(Stream stream, Tensor t)
    {
        foreach (var slice in Slices(t))
        {
            using (slice) stream.ReadExactly(slice.bytes);
        }
    }

    /// <summary>Adds the tensor's raw bytes, in storage order, to <paramref name="hash"/>.</summary>
    public static void Hash(Tensor t, System.Security.Cryptography.IncrementalHash hash)
    {
        foreach (var slice in Slices(t))
        {
            using (slice) hash.AppendData(slice.bytes);
        }
    }

    /// <summary>Views of the tensor's storage, in order, each under <see cref="SliceBytes"/>; the caller disposes each.</summary>
    private static IEnumerable<Tensor> Slices(Tensor t)
    {
        if (t.device_type != DeviceType.CPU || !t.is_contiguous()) throw new ArgumentException("raw bytes need a contiguous CPU tensor", nameof(t));
        long n = t.numel();
        if (n == 0) yield break;
        long perSlice = Math.Max(1, SliceBytes / t.ElementSize);
        using var flat = t.view(-1);
        for (long i = 0; i < n; i += perSlice) yield return flat.narrow(0, i, Math.Min(perSlice, n - i));
    }
}
