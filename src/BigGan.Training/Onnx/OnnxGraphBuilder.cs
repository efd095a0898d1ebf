using System.Globalization;
using TorchSharp;

namespace BigGan.Training.Onnx;

/// <summary>
/// Builds one ONNX model (a single graph in the default domain) node by node and writes it with Google.Protobuf.
/// Values are referred to by name (strings, as in ONNX). Every node input must already be defined (a graph input,
/// an initializer or an earlier node's output), so a graph built here is topologically sorted by construction;
/// mistakes fail at the call that makes them, not in a runtime later.
/// Opset 13 is the default; 11 to 17 are accepted, and the helpers emit each opset's form of the operators whose
/// signature changed (Split, Squeeze/Unsqueeze, Resize's roi, Softmax's axis semantics).
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const int DefaultOpset = 13;
    public const int MinOpset = 11;
    public const int MaxOpset = 17;

    private readonly List<NodeProto> _nodes = new();
    private readonly List<TensorProto> _initializers = new();
    private readonly List<ValueInfoProto> _inputs = new();
    private readonly List<ValueInfoProto> _outputs = new();
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constantCache = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(int opset = DefaultOpset, string graphName = "main")
    {
        if (opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"ONNX opset must be between {MinOpset} and {MaxOpset}");
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        Opset = opset;
        GraphName = graphName;
    }

    public int Opset { get; }
    public string GraphName { get; }

    /// <summary>The IR version that goes with the opset (ONNX 1.6 → IR 6 / opset 11; 1.7–1.9 → IR 7 / 12–14; 1.10–1.12 → IR 8 / 15–17).</summary>
    public long IrVersion => Opset switch { 11 => 6, <= 14 => 7, _ => 8 };

    public string ProducerName { get; set; } = "BigGan.NET";
    public string ProducerVersion { get; set; } = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    public string? DocString { get; set; }
    public long ModelVersion { get; set; }

    public int NodeCount => _nodes.Count;
    public int InitializerCount => _initializers.Count;

    /// <summary>Op types of the nodes added so far, in order.</summary>
    public IEnumerable<string> OpTypes => _nodes.Select(n => n.OpType);

    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Adds or replaces a model metadata property (ModelProto.metadata_props).</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    // ---------------------------------------------------------------- names

    public bool IsDefined(string name) => _defined.Contains(name);

    /// <summary>A value name not used yet, derived from the hint ("Conv" → "Conv_0", "Conv_1", ...).</summary>
    public string UniqueName(string hint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hint);
        _counters.TryGetValue(hint, out var k);
        string name;
        do name = $"{hint}_{k++}"; while (_defined.Contains(name));
        _counters[hint] = k;
        return name;
    }

    private void Define(string name, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_defined.Add(name)) throw new ArgumentException($"{what} '{name}' is already defined in the ONNX graph; value names must be unique");
    }

    private void Require(string name, string opType)
    {
        if (name.Length == 0) return; // an omitted optional input
        if (!_defined.Contains(name))
            throw new ArgumentException($"{opType} input '{name}' is not defined yet: add it as a graph input, an initializer or the output of an earlier node");
    }

    // ---------------------------------------------------------------- graph inputs and outputs

    /// <summary>Declares a graph input of a tensor type; dims are fixed sizes or symbolic names (e.g. "N").</summary>
    public string AddInput(string name, OnnxDataType type, params OnnxDim[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        Define(name, "graph input");
        _inputs.Add(ValueInfoProto.ForTensor(name, type, dims));
        return name;
    }

    /// <summary>
    /// Declares a graph output. When <paramref name="name"/> differs from the value's own name an Identity node
    /// gives the value that name. <paramref name="dims"/> null means unknown shape.
    /// </summary>
    public string AddOutput(string value, OnnxDataType type, IReadOnlyList<OnnxDim>? dims, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        if (!_defined.Contains(value)) throw new ArgumentException($"cannot declare '{value}' as a graph output: no input, initializer or node defines it");
        var outName = name ?? value;
        if (outName != value) Identity(value, outName);
        if (_outputs.Any(o => o.Name == outName)) throw new ArgumentException($"'{outName}' is already a graph output");
        _outputs.Add(ValueInfoProto.ForTensor(outName, type, dims));
        return outName;
    }

    // ---------------------------------------------------------------- initializers and constants

    /// <summary>A constant tensor stored in the graph (weights, statistics); its data is copied now.</summary>
    public string AddInitializer(string name, Tensor value)
    {
        Define(name, "initializer");
        _initializers.Add(OnnxTensors.FromTensor(name, value));
        return name;
    }

    /// <summary>A constant tensor from managed data (float, double, long, int, byte, bool, Half).</summary>
    public string AddInitializer<T>(string name, ReadOnlySpan<T> data, params long[] dims) where T : unmanaged
    {
        Define(name, "initializer");
        _initializers.Add(OnnxTensors.FromData(name, data, dims));
        return name;
    }

    public string AddInitializer<T>(string name, T[] data, params long[] dims) where T : unmanaged =>
        AddInitializer(name, (ReadOnlySpan<T>)data, dims);

    /// <summary>A shared rank-0 float constant (one initializer per distinct value).</summary>
    public string Scalar(float value) => CachedConstant("scalar_f", [value], []);

    /// <summary>A shared 1-d int64 constant, for shapes, axes and split sizes.</summary>
    public string Int64s(params long[] values) => CachedConstant("const_i64", values, [values.Length]);

    /// <summary>A shared 1-d float constant (e.g. Resize scales).</summary>
    public string Floats(params float[] values) => CachedConstant("const_f", values, [values.Length]);

    private string CachedConstant<T>(string hint, T[] values, long[] dims) where T : unmanaged
    {
        var key = $"{typeof(T).Name}[{string.Join(",", dims)}]:{string.Join(",", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))}";
        if (typeof(T) == typeof(float)) // distinguish -0 / NaN payloads exactly
            key += ":" + Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        if (_constantCache.TryGetValue(key, out var existing)) return existing;
        var name = AddInitializer(UniqueName(hint), values, dims);
        _constantCache[key] = name;
        return name;
    }

    /// <summary>A Constant node (the value lives in the node instead of the initializer list).</summary>
    public string Constant(Tensor value, string? name = null) =>
        AddNode("Constant", [], [OnnxAttribute.Tensor("value", value)], name);

    // ---------------------------------------------------------------- nodes

    /// <summary>Adds a node with the given outputs (names must be new) and returns them.</summary>
    public IReadOnlyList<string> AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyList<OnnxAttribute>? attributes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0) throw new ArgumentException($"{opType} node needs at least one output", nameof(outputs));
        foreach (var i in inputs) Require(i ?? throw new ArgumentException($"{opType} has a null input name"), opType);
        attributes ??= [];
        var dup = attributes.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"{opType} has attribute '{dup.Key}' twice");
        foreach (var o in outputs) Define(o, $"{opType} output");
        _nodes.Add(new NodeProto
        {
            OpType = opType,
            Inputs = inputs.ToArray(),
            Outputs = outputs.ToArray(),
            Name = $"{opType}_{_nodes.Count}",
            Attributes = attributes.Select(a => a.Proto).ToArray(),
        });
        return outputs;
    }

    /// <summary>Adds a single-output node; the output is <paramref name="name"/> or a fresh name.</summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<OnnxAttribute>? attributes = null, string? name = null) =>
        AddNode(opType, inputs, [name ?? UniqueName(opType)], attributes)[0];

    // ---------------------------------------------------------------- elementwise and activation helpers

    public string Identity(string x, string? name = null) => AddNode("Identity", [x], null, name);
    public string Add(string a, string b, string? name = null) => AddNode("Add", [a, b], null, name);
    public string Sub(string a, string b, string? name = null) => AddNode("Sub", [a, b], null, name);
    public string Mul(string a, string b, string? name = null) => AddNode("Mul", [a, b], null, name);
    public string Div(string a, string b, string? name = null) => AddNode("Div", [a, b], null, name);
    public string Relu(string x, string? name = null) => AddNode("Relu", [x], null, name);
    public string Tanh(string x, string? name = null) => AddNode("Tanh", [x], null, name);
    public string Sigmoid(string x, string? name = null) => AddNode("Sigmoid", [x], null, name);

    /// <summary>Clamps to [min, max] (either may be omitted); float inputs.</summary>
    public string Clip(string x, float? min, float? max, string? name = null) =>
        AddNode("Clip", [x, min is { } lo ? Scalar(lo) : "", max is { } hi ? Scalar(hi) : ""], null, name);

    /// <summary>
    /// Softmax along an axis. Before opset 13 ONNX's Softmax normalises over all dimensions from the axis on, which
    /// equals PyTorch's softmax only for the last axis, so older opsets accept axis -1 only.
    /// </summary>
    public string Softmax(string x, long axis = -1, string? name = null)
    {
        if (Opset < 13 && axis != -1)
            throw new NotSupportedException($"Softmax over axis {axis} at opset {Opset}: before opset 13 only the last axis (-1) matches PyTorch; transpose first or use opset 13");
        return AddNode("Softmax", [x], [OnnxAttribute.Int("axis", axis)], name);
    }

    // ---------------------------------------------------------------- linear algebra

    public string MatMul(string a, string b, string? name = null) => AddNode("MatMul", [a, b], null, name);

    /// <summary>Y = alpha · A' · B' + beta · C with A', B' optionally transposed; A and B are 2-d; C (optional) broadcasts.</summary>
    public string Gemm(string a, string b, string? c = null, bool transA = false, bool transB = false, float alpha = 1, float beta = 1, string? name = null)
    {
        var attrs = new List<OnnxAttribute>();
        if (alpha != 1) attrs.Add(OnnxAttribute.Float("alpha", alpha));
        if (beta != 1) attrs.Add(OnnxAttribute.Float("beta", beta));
        if (transA) attrs.Add(OnnxAttribute.Int("transA", 1));
        if (transB) attrs.Add(OnnxAttribute.Int("transB", 1));
        return AddNode("Gemm", c is null ? [a, b] : [a, b, c], attrs, name);
    }

    // ---------------------------------------------------------------- shape helpers

    /// <summary>Reshape to a constant shape; -1 infers one dimension and 0 copies the input's (handy for a dynamic batch).</summary>
    public string Reshape(string x, long[] shape, string? name = null) => AddNode("Reshape", [x, Int64s(shape)], null, name);

    /// <summary>Reshape to a shape computed in the graph (a 1-d int64 value).</summary>
    public string Reshape(string x, string shape, string? name = null) => AddNode("Reshape", [x, shape], null, name);

    public string Transpose(string x, long[] perm, string? name = null) => AddNode("Transpose", [x], [OnnxAttribute.Ints("perm", perm)], name);

    public string Concat(IReadOnlyList<string> inputs, long axis, string? name = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input", nameof(inputs));
        return AddNode("Concat", inputs, [OnnxAttribute.Int("axis", axis)], name);
    }

    /// <summary>Splits along an axis into pieces of the given sizes (an input from opset 13 on, an attribute before).</summary>
    public IReadOnlyList<string> Split(string x, long axis, long[] sizes, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(s => s < 0)) throw new ArgumentException($"Split sizes must be a non-empty list of non-negative sizes, got [{string.Join(", ", sizes)}]", nameof(sizes));
        if (names is not null && names.Count != sizes.Length) throw new ArgumentException($"Split has {sizes.Length} sizes but {names.Count} output names", nameof(names));
        var outputs = names ?? sizes.Select(_ => UniqueName("Split")).ToArray();
        return Opset >= 13
            ? AddNode("Split", [x, Int64s(sizes)], outputs, [OnnxAttribute.Int("axis", axis)])
            : AddNode("Split", [x], outputs, [OnnxAttribute.Int("axis", axis), OnnxAttribute.Ints("split", sizes)]);
    }

    public string Gather(string data, string indices, long axis = 0, string? name = null) =>
        AddNode("Gather", [data, indices], [OnnxAttribute.Int("axis", axis)], name);

    /// <summary>Inserts size-1 dimensions (axes as an input from opset 13 on, an attribute before).</summary>
    public string Unsqueeze(string x, long[] axes, string? name = null) => Opset >= 13
        ? AddNode("Unsqueeze", [x, Int64s(axes)], null, name)
        : AddNode("Unsqueeze", [x], [OnnxAttribute.Ints("axes", axes)], name);

    /// <summary>Removes size-1 dimensions (axes as an input from opset 13 on, an attribute before).</summary>
    public string Squeeze(string x, long[] axes, string? name = null) => Opset >= 13
        ? AddNode("Squeeze", [x, Int64s(axes)], null, name)
        : AddNode("Squeeze", [x], [OnnxAttribute.Ints("axes", axes)], name);

    public string Flatten(string x, long axis = 1, string? name = null) => AddNode("Flatten", [x], [OnnxAttribute.Int("axis", axis)], name);
    public string Shape(string x, string? name = null) => AddNode("Shape", [x], null, name);
    public string Cast(string x, OnnxDataType to, string? name = null) => AddNode("Cast", [x], [OnnxAttribute.Int("to", (long)to)], name);

    // ---------------------------------------------------------------- convolution, normalisation, pooling, resizing

    /// <summary>2-d convolution (NCHW) with symmetric zero padding; the kernel size comes from the weight.</summary>
    public string Conv(string x, string weight, string? bias = null, long padding = 0, long stride = 1, long dilation = 1, long group = 1, string? name = null)
    {
        if (padding < 0 || stride < 1 || dilation < 1 || group < 1)
            throw new ArgumentException($"Conv needs padding >= 0 and stride, dilation, group >= 1 (got {padding}, {stride}, {dilation}, {group})");
        var attrs = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("pads", padding, padding, padding, padding),
            OnnxAttribute.Ints("strides", stride, stride),
            OnnxAttribute.Ints("dilations", dilation, dilation),
        };
        if (group != 1) attrs.Add(OnnxAttribute.Int("group", group));
        return AddNode("Conv", bias is null ? [x, weight] : [x, weight, bias], attrs, name);
    }

    /// <summary>Inference batch normalisation: (x - mean) / sqrt(var + eps) · scale + bias, per channel (axis 1).</summary>
    public string BatchNormalization(string x, string scale, string bias, string mean, string variance, float epsilon = 1e-5f, string? name = null) =>
        AddNode("BatchNormalization", [x, scale, bias, mean, variance], [OnnxAttribute.Float("epsilon", epsilon)], name);

    public string MaxPool(string x, long kernel = 2, long? stride = null, string? name = null) =>
        AddNode("MaxPool", [x], [OnnxAttribute.Ints("kernel_shape", kernel, kernel), OnnxAttribute.Ints("strides", stride ?? kernel, stride ?? kernel)], name);

    public string AveragePool(string x, long kernel = 2, long? stride = null, string? name = null) =>
        AddNode("AveragePool", [x], [OnnxAttribute.Ints("kernel_shape", kernel, kernel), OnnxAttribute.Ints("strides", stride ?? kernel, stride ?? kernel)], name);

    /// <summary>Averages over H and W of an NCHW tensor, keeping [N, C, 1, 1].</summary>
    public string GlobalAveragePool(string x, string? name = null) => AddNode("GlobalAveragePool", [x], null, name);

    /// <summary>
    /// Nearest-neighbour resize by per-axis scales with PyTorch's index rule (src = floor(dst / scale)):
    /// mode nearest, coordinate_transformation_mode asymmetric, nearest_mode floor. Opset 11's Resize requires the
    /// roi input (an empty tensor here); from 13 on it is omitted.
    /// </summary>
    public string ResizeNearest(string x, float[] scales, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Length == 0 || scales.Any(s => !(s > 0))) throw new ArgumentException($"Resize scales must be positive, got [{string.Join(", ", scales)}]", nameof(scales));
        var roi = Opset >= 13 ? "" : Floats();
        return AddNode("Resize", [x, roi, Floats(scales)],
        [
            OnnxAttribute.String("mode", "nearest"),
            OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"),
            OnnxAttribute.String("nearest_mode", "floor"),
        ], name);
    }

    /// <summary>×2 nearest upsampling of an NCHW tensor (F.interpolate(x, scale_factor=2)).</summary>
    public string Upsample2x(string x, string? name = null) => ResizeNearest(x, [1, 1, 2, 2], name);

    // ---------------------------------------------------------------- layers from TorchSharp tensors

    /// <summary>y = x · Wᵀ + b as Gemm(transB) with W [out, in] and b [out] stored under prefix.weight / prefix.bias.</summary>
    public string Linear(string x, Tensor weight, Tensor? bias, string prefix, string? name = null)
    {
        CheckRank(weight, 2, prefix + ".weight", "Linear");
        var w = AddInitializer(prefix + ".weight", weight);
        var b = bias is null ? null : AddInitializer(prefix + ".bias", bias);
        return Gemm(x, w, b, transB: true, name: name);
    }

    /// <summary>conv2d with weight [out, in, kh, kw] and optional bias [out], stored under prefix.weight / prefix.bias.</summary>
    public string Conv2d(string x, Tensor weight, Tensor? bias, string prefix, long padding = 0, long stride = 1, string? name = null)
    {
        CheckRank(weight, 4, prefix + ".weight", "Conv2d");
        var w = AddInitializer(prefix + ".weight", weight);
        var b = bias is null ? null : AddInitializer(prefix + ".bias", bias);
        return Conv(x, w, b, padding, stride, name: name);
    }

    /// <summary>
    /// Eval-mode batch norm with running statistics; a missing affine weight/bias becomes 1/0 (BigGAN's
    /// conditional BN normalises without affine parameters and applies its class gains afterwards).
    /// </summary>
    public string BatchNorm(string x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, string prefix, double eps = 1e-5, string? name = null)
    {
        CheckRank(runningMean, 1, prefix + ".running_mean", "BatchNorm");
        var c = runningMean.shape[0];
        var mean = AddInitializer(prefix + ".running_mean", runningMean);
        var variance = AddInitializer(prefix + ".running_var", runningVar);
        var scale = weight is null ? AddInitializer(prefix + ".weight", Enumerable.Repeat(1f, (int)c).ToArray(), c) : AddInitializer(prefix + ".weight", weight);
        var shift = bias is null ? AddInitializer(prefix + ".bias", new float[c], c) : AddInitializer(prefix + ".bias", bias);
        return BatchNormalization(x, scale, shift, mean, variance, (float)eps, name);
    }

    /// <summary>Embedding lookup: rows of weight [num, dim] (stored as prefix.weight) at int64 indices.</summary>
    public string Embedding(string indices, Tensor weight, string prefix, string? name = null)
    {
        CheckRank(weight, 2, prefix + ".weight", "Embedding");
        return Gather(AddInitializer(prefix + ".weight", weight), indices, 0, name);
    }

    private static void CheckRank(Tensor t, int rank, string what, string op)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != rank) throw new ArgumentException($"{op}: '{what}' must be {rank}-d, got shape [{string.Join(", ", t.shape)}]");
    }

    // ---------------------------------------------------------------- output

    internal ModelProto Build()
    {
        if (_outputs.Count == 0) throw new InvalidOperationException("the ONNX graph has no outputs; declare them with AddOutput");
        return new ModelProto
        {
            IrVersion = IrVersion,
            OpsetImports = [new OperatorSetIdProto("", Opset)],
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            ModelVersion = ModelVersion,
            DocString = DocString,
            MetadataProps = _metadata.Select(kv => new StringStringEntryProto(kv.Key, kv.Value)).ToArray(),
            Graph = new GraphProto
            {
                Name = GraphName,
                Nodes = _nodes.ToArray(),
                Initializers = _initializers.ToArray(),
                Inputs = _inputs.ToArray(),
                Outputs = _outputs.ToArray(),
            },
        };
    }

    /// <summary>Encodes the model to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Build().WriteTo(stream);
    }

    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>Writes the .onnx file atomically: readers see the old file or the complete new one, never a partial one.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = Build(); // validation errors happen before any file is touched
        model.ComputeSize();
        AtomicFile.Write(path, model.WriteTo);
    }
}
