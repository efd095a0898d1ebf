using System.Text;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>
/// Just enough protobuf encoding to write a small ONNX model (varint and length-delimited fields), so the tests need
/// no protobuf library or exporter. Field numbers are those of onnx.proto.
/// </summary>
internal sealed class OnnxProtoWriter
{
    private readonly MemoryStream _out = new();

    public byte[] ToArray() => _out.ToArray();

    public OnnxProtoWriter Varint(int field, long value)
    {
        Key(field, 0);
        Raw((ulong)value);
        return this;
    }

    public OnnxProtoWriter Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Key(field, 2);
        Raw((ulong)bytes.Length);
        _out.Write(bytes);
        return this;
    }

    public OnnxProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public OnnxProtoWriter Message(int field, OnnxProtoWriter message) => Bytes(field, message.ToArray());

    public OnnxProtoWriter Float(int field, float value)
    {
        Key(field, 5);
        _out.Write(BitConverter.GetBytes(value));
        return this;
    }

    private void Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

    private void Raw(ulong v)
    {
        while (v >= 0x80) { _out.WriteByte((byte)(v | 0x80)); v >>= 7; }
        _out.WriteByte((byte)v);
    }
}
