using System.Runtime.InteropServices;

namespace BigGan.Training;

/// <summary>Moves element data between .NET memory and CPU tensors (TorchSharp exposes raw bytes; these add the types).</summary>
public static class TensorData
{
    /// <summary>A new CPU tensor of the given shape holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, long[] shape) where T : unmanaged
    {
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} elements cannot fill a tensor of shape [{string.Join(", ", shape)}] ({count} elements)", nameof(data));
        var t = empty(shape, dtype: ScalarTypeOf<T>());
        if (count > 0) MemoryMarshal.AsBytes(data).CopyTo(t.bytes);
        return t;
    }

    /// <summary>Copies the elements (row-major order, whatever the tensor's strides or device) into <paramref name="destination"/>.</summary>
    public static void CopyTo<T>(this Tensor tensor, Span<T> destination) where T : unmanaged
    {
        CheckType<T>(tensor);
        using var cpu = Contiguous(tensor);
        if (cpu.numel() > destination.Length)
            throw new ArgumentException($"a tensor of {cpu.numel()} elements does not fit in {destination.Length}", nameof(destination));
        if (cpu.numel() > 0) cpu.bytes.CopyTo(MemoryMarshal.AsBytes(destination));
    }

    /// <summary>The elements in row-major order.</summary>
    public static T[] ToArray<T>(this Tensor tensor) where T : unmanaged
    {
        CheckType<T>(tensor);
        var result = new T[checked((int)tensor.numel())];
        tensor.CopyTo<T>(result);
        return result;
    }

    public static bool IsFloatingPoint(this ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    public static ScalarType ScalarTypeOf<T>() where T : unmanaged => default(T) switch
    {
        float => ScalarType.Float32,
        double => ScalarType.Float64,
        long => ScalarType.Int64,
        int => ScalarType.Int32,
        short => ScalarType.Int16,
        byte => ScalarType.Byte,
        sbyte => ScalarType.Int8,
        bool => ScalarType.Bool,
        Half => ScalarType.Float16,
        _ => throw new NotSupportedException($"no tensor element type for {typeof(T).Name}"),
    };

    private static void CheckType<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.dtype != ScalarTypeOf<T>())
            throw new ArgumentException($"the tensor holds {tensor.dtype}, not {typeof(T).Name}");
    }

    // A contiguous CPU tensor with the same elements (a new handle either way, so the caller can always dispose it).
    private static Tensor Contiguous(Tensor tensor)
    {
        var cpu = tensor.device_type == DeviceType.CPU ? tensor.alias() : tensor.cpu();
        if (cpu.is_contiguous()) return cpu;
        using (cpu) return cpu.contiguous();
    }
}
