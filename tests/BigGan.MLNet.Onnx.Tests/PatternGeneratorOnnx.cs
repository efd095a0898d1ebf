using BigGan.Training.Synthesis;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>
/// <see cref="PatternImageGenerator"/> as an ONNX graph (opset 13), shaped like an exported BigGAN generator: inputs
/// z float [1, DimZ] and class_onehot float [1, NumClasses], output pixels float [1, C, R, R] in [0, 255]. The class
/// image (band and background) is a MatMul of the one-hot with a table, the texture a Gather of z, then the same
/// arithmetic in the same order as the C# generator and the renderer's (x + 1) · 127.5 clipped to [0, 255].
/// </summary>
internal static class PatternGeneratorOnnx
{
    private const int Float = 1, Int64 = 7;

    public static byte[] Build(PatternImageGenerator g)
    {
        int n = g.NumClasses, c = g.Channels, r = g.Resolution, d = g.DimZ, plane = r * r, size = c * plane;
        var table = new float[n * size];
        var gather = new long[size];
        var channelOffset = new float[size];
        for (int cls = 0; cls < n; cls++)
        {
            float background = -0.8f + 0.6f * cls / Math.Max(1, n - 1);
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < r; y++)
                    for (int x = 0; x < r; x++)
                    {
                        int k = ch * plane + y * r + x;
                        table[cls * size + k] = y * n / r == cls ? 0.7f : background;
                        gather[k] = k % d;
                        channelOffset[k] = -(0.05f * ch);
                    }
        }

        var graph = new OnnxProtoWriter()
            .Message(1, Node("MatMul", ["class_onehot", "table"], ["base"]))
            .Message(1, Node("Gather", ["z", "gather"], ["zg"], new OnnxProtoWriter().String(1, "axis").Varint(3, 1).Varint(20, 2)))
            .Message(1, Node("Tanh", ["zg"], ["t"]))
            .Message(1, Node("Mul", ["t", "k015"], ["texture"]))
            .Message(1, Node("Add", ["base", "texture"], ["a"]))
            .Message(1, Node("Add", ["a", "channel_offset"], ["b"]))
            .Message(1, Node("Clip", ["b", "minus_one", "one"], ["v"]))
            .Message(1, Node("Add", ["v", "one"], ["w"]))
            .Message(1, Node("Mul", ["w", "k1275"], ["p"]))
            .Message(1, Node("Clip", ["p", "zero", "k255"], ["q"]))
            .Message(1, Node("Reshape", ["q", "shape"], ["pixels"]))
            .String(2, "pattern_generator")
            .Message(5, FloatTensor("table", [n, size], table))
            .Message(5, Int64Tensor("gather", [size], gather))
            .Message(5, FloatTensor("channel_offset", [size], channelOffset))
            .Message(5, FloatTensor("k015", [], [0.15f]))
            .Message(5, FloatTensor("minus_one", [], [-1f]))
            .Message(5, FloatTensor("one", [], [1f]))
            .Message(5, FloatTensor("zero", [], [0f]))
            .Message(5, FloatTensor("k1275", [], [127.5f]))
            .Message(5, FloatTensor("k255", [], [255f]))
            .Message(5, Int64Tensor("shape", [4], [1, c, r, r]))
            .Message(11, ValueInfo("z", [1, d]))
            .Message(11, ValueInfo("class_onehot", [1, n]))
            .Message(12, ValueInfo("pixels", [1, c, r, r]));

        return new OnnxProtoWriter()
            .Varint(1, 7) // IR version 7 (opset 13)
            .String(2, "BigGan.MLNet.Onnx.Tests")
            .Message(7, graph)
            .Message(8, new OnnxProtoWriter().String(1, "").Varint(2, 13))
            .ToArray();
    }

    private static OnnxProtoWriter Node(string op, string[] inputs, string[] outputs, OnnxProtoWriter? attribute = null)
    {
        var node = new OnnxProtoWriter();
        foreach (var i in inputs) node.String(1, i);
        foreach (var o in outputs) node.String(2, o);
        node.String(3, op + "_" + outputs[0]).String(4, op);
        if (attribute is not null) node.Message(5, attribute);
        return node;
    }

    private static OnnxProtoWriter FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new OnnxProtoWriter();
        foreach (var dim in dims) t.Varint(1, dim);
        t.Varint(2, Float).String(8, name);
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        return t.Bytes(9, raw);
    }

    private static OnnxProtoWriter Int64Tensor(string name, long[] dims, long[] values)
    {
        var t = new OnnxProtoWriter();
        foreach (var dim in dims) t.Varint(1, dim);
        t.Varint(2, Int64).String(8, name);
        var raw = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        return t.Bytes(9, raw);
    }

    private static OnnxProtoWriter ValueInfo(string name, long[] dims)
    {
        var shape = new OnnxProtoWriter();
        foreach (var dim in dims) shape.Message(1, new OnnxProtoWriter().Varint(1, dim));
        var tensor = new OnnxProtoWriter().Varint(1, Float).Message(2, shape);
        return new OnnxProtoWriter().String(1, name).Message(2, new OnnxProtoWriter().Message(1, tensor));
    }
}
