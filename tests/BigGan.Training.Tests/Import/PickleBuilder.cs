using System.Buffers.Binary;
using System.Text;

namespace BigGan.Training.Tests.Import;

/// <summary>Writes protocol-2 pickle opcodes by hand, for crafted and hostile test files.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _bytes = [];

    public byte[] Bytes => [.. _bytes];

    private PickleBuilder Op(params byte[] b) { _bytes.AddRange(b); return this; }

    public PickleBuilder Proto() => Op(0x80, 2);
    public PickleBuilder Stop() => Op((byte)'.');
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder True() => Op(0x88);
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder None() => Op((byte)'N');
    public PickleBuilder BinPersId() => Op((byte)'Q');
    public PickleBuilder Global(string module, string name) => Op([(byte)'c', .. Encoding.ASCII.GetBytes($"{module}\n{name}\n")]);
    public PickleBuilder Long1(byte[] littleEndian) => Op([0x8a, (byte)littleEndian.Length, .. littleEndian]);

    public PickleBuilder Int(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return Long1(b);
    }

    public PickleBuilder Str(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, utf8.Length);
        return Op([(byte)'X', .. len, .. utf8]);
    }

    public PickleBuilder Ints(long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>torch._utils._rebuild_tensor_v2(('storage', torch.&lt;storage&gt;, key, 'cpu', numel), offset, size, stride, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storage, string key, long numel, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", storage).Str(key).Str("cpu").Int(numel).Tuple().BinPersId()
            .Int(offset).Ints(size).Ints(stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce();
}
