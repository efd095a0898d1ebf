using System.Runtime.InteropServices;
using TorchSharp;

namespace BigGan.Training.Onnx;

/// <summary>A node attribute (AttributeProto) of one of the kinds ONNX operators use.</summary>
public sealed class OnnxAttribute
{
    internal AttributeProto Proto { get; }

    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    public string Name => Proto.Name;
    public OnnxAttributeType Type => Proto.Type;

    public static OnnxAttribute Int(string name, long value) => new(new() { Name = Check(name), Type = OnnxAttributeType.Int, I = value });
    public static OnnxAttribute Float(string name, float value) => new(new() { Name = Check(name), Type = OnnxAttributeType.Float, F = value });

    public static OnnxAttribute String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new() { Name = Check(name), Type = OnnxAttributeType.String, S = value });
    }

    public static OnnxAttribute Ints(string name, params long[] values) =>
        new(new() { Name = Check(name), Type = OnnxAttributeType.Ints, Ints = (long[])values.Clone() });

    public static OnnxAttribute Floats(string name, params float[] values) =>
        new(new() { Name = Check(name), Type = OnnxAttributeType.Floats, Floats = (float[])values.Clone() });

    public static OnnxAttribute Strings(string name, params string[] values) =>
        new(new() { Name = Check(name), Type = OnnxAttributeType.Strings, Strings = (string[])values.Clone() });

    /// <summary>A tensor-valued attribute (e.g. Constant's value); the data is copied now.</summary>
    public static OnnxAttribute Tensor(string name, Tensor value) =>
        new(new() { Name = Check(name), Type = OnnxAttributeType.Tensor, T = OnnxTensors.FromTensor(null, value) });

    /// <summary>A tensor-valued attribute from managed data (float, double, long, int, byte, bool, Half).</summary>
    public static OnnxAttribute Tensor<T>(string name, ReadOnlySpan<T> data, params long[] dims) where T : unmanaged =>
        new(new() { Name = Check(name), Type = OnnxAttributeType.Tensor, T = OnnxTensors.FromData(null, data, dims) });

    private static string Check(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}

/// <summary>TensorProto construction with raw little-endian data.</summary>
internal static class OnnxTensors
{
    public static TensorProto FromTensor(string? name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var type = OnnxDataTypes.FromScalarType(tensor.dtype);
        return Make(name, type, tensor.shape, ContiguousBytes(tensor));
    }

    private static byte[] ContiguousBytes(Tensor tensor)
    {
        using var cpu = tensor.cpu();
        using var dense = cpu.contiguous();
        return dense.bytes.ToArray();
    }

    public static TensorProto FromData<T>(string? name, ReadOnlySpan<T> data, long[] dims) where T : unmanaged
    {
        var type = OnnxDataTypes.FromScalarType(TensorData.ScalarTypeOf<T>());
        return Make(name, type, dims, MemoryMarshal.AsBytes(data).ToArray());
    }

    public static TensorProto Make(string? name, OnnxDataType type, long[] dims, byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported");
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension in [{string.Join(", ", dims)}]", nameof(dims));
            count = checked(count * d);
        }
        if (raw.LongLength != count * type.ElementSize())
            throw new ArgumentException($"tensor '{name}' of shape [{string.Join(", ", dims)}] needs {count} {type} elements but the data holds {raw.LongLength / type.ElementSize()}");
        return new TensorProto { Name = name, DataType = type, Dims = (long[])dims.Clone(), RawData = raw };
    }
}
