using TorchSharp;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace BigGan.Training.Onnx;

// The ONNX protobuf messages (onnx/onnx.proto, proto2), written by hand with Google.Protobuf's CodedOutputStream
// because no generated classes (protoc) are available. Only the fields an exporter needs are modelled; field
// numbers are the ones of onnx.proto. Sizes are computed once per message (ComputeSize, children first) and reused
// while writing, so large initializers are streamed to the file without intermediate copies.

/// <summary>TensorProto.DataType: the element types ONNX knows.</summary>
public enum OnnxDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
}

/// <summary>AttributeProto.AttributeType (the kinds this writer emits).</summary>
public enum OnnxAttributeType
{
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Floats = 6,
    Ints = 7,
    Strings = 8,
}

/// <summary>Element sizes and conversions from <see cref="ScalarType"/>.</summary>
public static class OnnxDataTypes
{
    public static OnnxDataType FromScalarType(ScalarType t) => t switch
    {
        ScalarType.Float32 => OnnxDataType.Float,
        ScalarType.Float64 => OnnxDataType.Double,
        ScalarType.Float16 => OnnxDataType.Float16,
        ScalarType.BFloat16 => OnnxDataType.BFloat16,
        ScalarType.Int64 => OnnxDataType.Int64,
        ScalarType.Int32 => OnnxDataType.Int32,
        ScalarType.Int16 => OnnxDataType.Int16,
        ScalarType.Int8 => OnnxDataType.Int8,
        ScalarType.Byte => OnnxDataType.UInt8,
        ScalarType.Bool => OnnxDataType.Bool,
        _ => throw new ArgumentException($"tensor element type {t} has no ONNX counterpart", nameof(t)),
    };

    /// <summary>Bytes per element in raw_data (little-endian, as ONNX requires).</summary>
    public static int ElementSize(this OnnxDataType t) => t switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.Double or OnnxDataType.Int64 or OnnxDataType.UInt64 => 8,
        OnnxDataType.Float16 or OnnxDataType.BFloat16 or OnnxDataType.Int16 or OnnxDataType.UInt16 => 2,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        _ => throw new ArgumentException($"ONNX type {t} has no fixed element size", nameof(t)),
    };
}

/// <summary>One dimension of a declared shape: a fixed size (dim_value) or a symbolic name (dim_param) such as "N".</summary>
public readonly record struct OnnxDim
{
    public long? Value { get; }
    public string? Param { get; }

    public OnnxDim(long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "a fixed ONNX dimension must be >= 0");
        Value = value;
    }

    public OnnxDim(string param)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(param);
        Param = param;
    }

    public bool IsSymbolic => Param is not null;

    public static implicit operator OnnxDim(long value) => new(value);
    public static implicit operator OnnxDim(int value) => new(value);
    public static implicit operator OnnxDim(string param) => new(param);

    public override string ToString() => Param ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Base of the hand-written messages: size first (cached), then the fields in field-number order.</summary>
internal abstract class ProtoMessage
{
    /// <summary>The encoded size computed by the last <see cref="ComputeSize"/>.</summary>
    internal int Size { get; private set; } = -1;

    /// <summary>Computes (and caches) this message's encoded size, and the sizes of its children.</summary>
    internal int ComputeSize()
    {
        try { Size = checked((int)ComputeSizeCore()); }
        catch (OverflowException)
        {
            throw new InvalidOperationException($"the ONNX {GetType().Name} exceeds protobuf's 2 GiB message limit; external data is not supported");
        }
        return Size;
    }

    protected abstract long ComputeSizeCore();

    internal abstract void WriteTo(CodedOutputStream output);

    // ---- size helpers (tag + payload) ----
    protected static long SizeOf(int field, string? s) => s is null ? 0 : CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeStringSize(s);
    protected static long SizeOf(int field, long v) => CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeInt64Size(v);
    protected static long SizeOfFloat(int field) => CodedOutputStream.ComputeTagSize(field) + 4;

    protected static long SizeOf(int field, ProtoMessage? m)
    {
        if (m is null) return 0;
        var n = m.ComputeSize();
        return CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(n) + n;
    }

    protected static long SizeOf(int field, IEnumerable<ProtoMessage> ms) => ms.Sum(m => SizeOf(field, m));
    protected static long SizeOf(int field, IEnumerable<string> ss) => ss.Sum(s => SizeOf(field, s));

    protected static long SizeOfBytes(int field, ReadOnlyMemory<byte> b) =>
        CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(b.Length) + (long)b.Length;

    // ---- write helpers ----
    protected static void Write(CodedOutputStream o, int field, string? s)
    {
        if (s is null) return;
        o.WriteTag(field, WireType.LengthDelimited);
        o.WriteString(s);
    }

    protected static void Write(CodedOutputStream o, int field, long v)
    {
        o.WriteTag(field, WireType.Varint);
        o.WriteInt64(v);
    }

    protected static void WriteFloat(CodedOutputStream o, int field, float v)
    {
        o.WriteTag(field, WireType.Fixed32);
        o.WriteFloat(v);
    }

    protected static void Write(CodedOutputStream o, int field, ProtoMessage? m)
    {
        if (m is null) return;
        o.WriteTag(field, WireType.LengthDelimited);
        o.WriteLength(m.Size);
        m.WriteTo(o);
    }

    protected static void Write(CodedOutputStream o, int field, IEnumerable<ProtoMessage> ms)
    {
        foreach (var m in ms) Write(o, field, m);
    }

    protected static void Write(CodedOutputStream o, int field, IEnumerable<string> ss)
    {
        foreach (var s in ss) Write(o, field, s);
    }

    protected static void WriteBytes(CodedOutputStream o, int field, ReadOnlyMemory<byte> b)
    {
        o.WriteTag(field, WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(b)); // no copy: the bytes go straight to the stream
    }
}

/// <summary>OperatorSetIdProto: domain = 1, version = 2.</summary>
internal sealed class OperatorSetIdProto(string domain, long version) : ProtoMessage
{
    public string Domain { get; } = domain;
    public long Version { get; } = version;
    protected override long ComputeSizeCore() => SizeOf(1, Domain) + SizeOf(2, Version);
    internal override void WriteTo(CodedOutputStream o) { Write(o, 1, Domain); Write(o, 2, Version); }
}

/// <summary>StringStringEntryProto: key = 1, value = 2 (ModelProto.metadata_props).</summary>
internal sealed class StringStringEntryProto(string key, string value) : ProtoMessage
{
    public string Key { get; } = key;
    public string Value { get; } = value;
    protected override long ComputeSizeCore() => SizeOf(1, Key) + SizeOf(2, Value);
    internal override void WriteTo(CodedOutputStream o) { Write(o, 1, Key); Write(o, 2, Value); }
}

/// <summary>TensorProto with its data in raw_data: dims = 1, data_type = 2, name = 8, raw_data = 9, doc_string = 12.</summary>
internal sealed class TensorProto : ProtoMessage
{
    public required string? Name { get; init; }
    public required OnnxDataType DataType { get; init; }
    public required long[] Dims { get; init; }
    public required ReadOnlyMemory<byte> RawData { get; init; }
    public string? DocString { get; init; }

    protected override long ComputeSizeCore() =>
        Dims.Sum(d => SizeOf(1, d)) + SizeOf(2, (long)DataType) + SizeOf(8, Name) + SizeOfBytes(9, RawData) + SizeOf(12, DocString);

    internal override void WriteTo(CodedOutputStream o)
    {
        foreach (var d in Dims) Write(o, 1, d); // proto2 repeated int64 without [packed]: one tag per element
        Write(o, 2, (long)DataType);
        Write(o, 8, Name);
        WriteBytes(o, 9, RawData);
        Write(o, 12, DocString);
    }
}

/// <summary>AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, strings = 9, type = 20.</summary>
internal sealed class AttributeProto : ProtoMessage
{
    public required string Name { get; init; }
    public required OnnxAttributeType Type { get; init; }
    public float F { get; init; }
    public long I { get; init; }
    public string? S { get; init; }
    public TensorProto? T { get; init; }
    public float[] Floats { get; init; } = [];
    public long[] Ints { get; init; } = [];
    public string[] Strings { get; init; } = [];

    protected override long ComputeSizeCore()
    {
        long n = SizeOf(1, Name) + SizeOf(20, (long)Type);
        switch (Type)
        {
            case OnnxAttributeType.Float: n += SizeOfFloat(2); break;
            case OnnxAttributeType.Int: n += SizeOf(3, I); break;
            case OnnxAttributeType.String: n += SizeOf(4, S ?? ""); break;
            case OnnxAttributeType.Tensor: n += SizeOf(5, T); break;
            case OnnxAttributeType.Floats: n += Floats.Length * SizeOfFloat(7); break;
            case OnnxAttributeType.Ints: n += Ints.Sum(v => SizeOf(8, v)); break;
            case OnnxAttributeType.Strings: n += SizeOf(9, Strings); break;
        }
        return n;
    }

    internal override void WriteTo(CodedOutputStream o)
    {
        Write(o, 1, Name);
        switch (Type)
        {
            case OnnxAttributeType.Float: WriteFloat(o, 2, F); break;
            case OnnxAttributeType.Int: Write(o, 3, I); break;
            case OnnxAttributeType.String: Write(o, 4, S ?? ""); break; // bytes and string share the wire format
            case OnnxAttributeType.Tensor: Write(o, 5, T); break;
            case OnnxAttributeType.Floats: foreach (var v in Floats) WriteFloat(o, 7, v); break;
            case OnnxAttributeType.Ints: foreach (var v in Ints) Write(o, 8, v); break;
            case OnnxAttributeType.Strings: Write(o, 9, Strings); break;
        }
        Write(o, 20, (long)Type);
    }
}

/// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, doc_string = 6, domain = 7.</summary>
internal sealed class NodeProto : ProtoMessage
{
    public required string OpType { get; init; }
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
    public string? Name { get; init; }
    public string? Domain { get; init; }
    public IReadOnlyList<AttributeProto> Attributes { get; init; } = [];
    public string? DocString { get; init; }

    protected override long ComputeSizeCore() =>
        SizeOf(1, Inputs) + SizeOf(2, Outputs) + SizeOf(3, Name) + SizeOf(4, OpType) + SizeOf(5, Attributes)
        + SizeOf(6, DocString) + SizeOf(7, Domain);

    internal override void WriteTo(CodedOutputStream o)
    {
        Write(o, 1, Inputs);
        Write(o, 2, Outputs);
        Write(o, 3, Name);
        Write(o, 4, OpType);
        Write(o, 5, Attributes);
        Write(o, 6, DocString);
        Write(o, 7, Domain);
    }
}

/// <summary>TensorShapeProto.Dimension: dim_value = 1, dim_param = 2.</summary>
internal sealed class DimensionProto(OnnxDim dim) : ProtoMessage
{
    public OnnxDim Dim { get; } = dim;
    protected override long ComputeSizeCore() => Dim.IsSymbolic ? SizeOf(2, Dim.Param) : SizeOf(1, Dim.Value!.Value);

    internal override void WriteTo(CodedOutputStream o)
    {
        if (Dim.IsSymbolic) Write(o, 2, Dim.Param);
        else Write(o, 1, Dim.Value!.Value);
    }
}

/// <summary>TensorShapeProto: dim = 1.</summary>
internal sealed class TensorShapeProto(IEnumerable<OnnxDim> dims) : ProtoMessage
{
    public DimensionProto[] Dims { get; } = dims.Select(d => new DimensionProto(d)).ToArray();
    protected override long ComputeSizeCore() => SizeOf(1, Dims);
    internal override void WriteTo(CodedOutputStream o) => Write(o, 1, Dims);
}

/// <summary>TypeProto.Tensor: elem_type = 1, shape = 2 (absent: unknown rank).</summary>
internal sealed class TensorTypeProto(OnnxDataType elemType, TensorShapeProto? shape) : ProtoMessage
{
    public OnnxDataType ElemType { get; } = elemType;
    public TensorShapeProto? Shape { get; } = shape;
    protected override long ComputeSizeCore() => SizeOf(1, (long)ElemType) + SizeOf(2, Shape);
    internal override void WriteTo(CodedOutputStream o) { Write(o, 1, (long)ElemType); Write(o, 2, Shape); }
}

/// <summary>TypeProto: tensor_type = 1.</summary>
internal sealed class TypeProto(TensorTypeProto tensorType) : ProtoMessage
{
    public TensorTypeProto TensorType { get; } = tensorType;
    protected override long ComputeSizeCore() => SizeOf(1, TensorType);
    internal override void WriteTo(CodedOutputStream o) => Write(o, 1, TensorType);
}

/// <summary>ValueInfoProto: name = 1, type = 2, doc_string = 3.</summary>
internal sealed class ValueInfoProto : ProtoMessage
{
    public required string Name { get; init; }
    public required TypeProto Type { get; init; }
    public string? DocString { get; init; }

    public static ValueInfoProto ForTensor(string name, OnnxDataType type, IReadOnlyList<OnnxDim>? dims, string? doc = null) => new()
    {
        Name = name,
        Type = new TypeProto(new TensorTypeProto(type, dims is null ? null : new TensorShapeProto(dims))),
        DocString = doc,
    };

    protected override long ComputeSizeCore() => SizeOf(1, Name) + SizeOf(2, Type) + SizeOf(3, DocString);
    internal override void WriteTo(CodedOutputStream o) { Write(o, 1, Name); Write(o, 2, Type); Write(o, 3, DocString); }
}

/// <summary>GraphProto: node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12, value_info = 13.</summary>
internal sealed class GraphProto : ProtoMessage
{
    public required string Name { get; init; }
    public required IReadOnlyList<NodeProto> Nodes { get; init; }
    public required IReadOnlyList<TensorProto> Initializers { get; init; }
    public required IReadOnlyList<ValueInfoProto> Inputs { get; init; }
    public required IReadOnlyList<ValueInfoProto> Outputs { get; init; }
    public IReadOnlyList<ValueInfoProto> ValueInfo { get; init; } = [];
    public string? DocString { get; init; }

    protected override long ComputeSizeCore() =>
        SizeOf(1, Nodes) + SizeOf(2, Name) + SizeOf(5, Initializers) + SizeOf(10, DocString) + SizeOf(11, Inputs)
        + SizeOf(12, Outputs) + SizeOf(13, ValueInfo);

    internal override void WriteTo(CodedOutputStream o)
    {
        Write(o, 1, Nodes);
        Write(o, 2, Name);
        Write(o, 5, Initializers);
        Write(o, 10, DocString);
        Write(o, 11, Inputs);
        Write(o, 12, Outputs);
        Write(o, 13, ValueInfo);
    }
}

/// <summary>ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, domain = 4, model_version = 5,
/// doc_string = 6, graph = 7, opset_import = 8, metadata_props = 14.</summary>
internal sealed class ModelProto : ProtoMessage
{
    public required long IrVersion { get; init; }
    public required IReadOnlyList<OperatorSetIdProto> OpsetImports { get; init; }
    public required GraphProto Graph { get; init; }
    public string? ProducerName { get; init; }
    public string? ProducerVersion { get; init; }
    public string? Domain { get; init; }
    public long ModelVersion { get; init; }
    public string? DocString { get; init; }
    public IReadOnlyList<StringStringEntryProto> MetadataProps { get; init; } = [];

    protected override long ComputeSizeCore() =>
        SizeOf(1, IrVersion) + SizeOf(2, ProducerName) + SizeOf(3, ProducerVersion) + SizeOf(4, Domain) + SizeOf(5, ModelVersion)
        + SizeOf(6, DocString) + SizeOf(7, Graph) + SizeOf(8, OpsetImports) + SizeOf(14, MetadataProps);

    internal override void WriteTo(CodedOutputStream o)
    {
        Write(o, 1, IrVersion);
        Write(o, 2, ProducerName);
        Write(o, 3, ProducerVersion);
        Write(o, 4, Domain);
        Write(o, 5, ModelVersion);
        Write(o, 6, DocString);
        Write(o, 7, Graph);
        Write(o, 8, OpsetImports);
        Write(o, 14, MetadataProps);
    }

    /// <summary>Encodes the whole model to a stream (sizes are computed first).</summary>
    public void WriteTo(Stream stream)
    {
        if (Size < 0) ComputeSize();
        using var o = new CodedOutputStream(stream, leaveOpen: true);
        WriteTo(o);
        o.Flush();
    }
}
