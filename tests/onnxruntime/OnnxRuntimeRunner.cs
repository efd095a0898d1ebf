// Compiled into BigGan.Training.Tests and BigGan.Bench (linked from both projects): ONNX Runtime from NuGet
// (Microsoft.ML.OnnxRuntime), in process.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;

namespace BigGan.OnnxRuntime;

/// <summary>An input fed to ONNX Runtime: float32 or int64 data with its shape.</summary>
internal sealed record OrtInput(string Name, long[] Dims, float[]? Floats = null, long[]? Int64s = null)
{
    public static OrtInput From(string name, torch.Tensor t) => t.dtype switch
    {
        torch.ScalarType.Float32 => new(name, t.shape, Floats: t.ToArray<float>()),
        torch.ScalarType.Int64 => new(name, t.shape, Int64s: t.ToArray<long>()),
        _ => throw new ArgumentException($"OrtInput '{name}': only float32 and int64 tensors are supported, got {t.dtype}"),
    };
}

/// <summary>One output of a run: its element type ("float32", "int64", ...), shape and raw bytes.</summary>
internal sealed record OrtOutput(string Name, string Type, long[] Dims, byte[] Raw)
{
    public float[] Floats => Type == "float32" ? MemoryMarshal.Cast<byte, float>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not float32");
    public long[] Int64s => Type == "int64" ? MemoryMarshal.Cast<byte, long>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not int64");
}

/// <summary>A model input or output as ONNX Runtime reads it: its name and dimensions (a symbolic one by its name).</summary>
internal sealed record OrtValueInfo(string Name, string[] Shape);

/// <summary>What a run gave back: the runtime's version, every output, the time of each timed run, and the model's
/// inputs and outputs as ONNX Runtime reports them.</summary>
internal sealed record OrtRunResult(string OrtVersion, IReadOnlyList<OrtOutput> Outputs, double[] RunMs, IReadOnlyList<OrtValueInfo> Inputs, IReadOnlyList<OrtValueInfo> OutputInfo)
{
    public OrtOutput this[string name] => Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"the model has no output '{name}' (outputs: {string.Join(", ", Outputs.Select(o => o.Name))})");
}

/// <summary>Runs an ONNX model in ONNX Runtime (CPU provider, all graph optimisations, the given intra-op threads).</summary>
internal static class OnnxRuntimeRunner
{
    public static OrtRunResult Run(string modelPath, IReadOnlyList<OrtInput> inputs, int threads = 1, int warmup = 0, int repeat = 1)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(modelPath, options);
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in inputs)
                values.Add(input switch
                {
                    { Floats: { } f } => OrtValue.CreateTensorValueFromMemory(f, input.Dims),
                    { Int64s: { } l } => OrtValue.CreateTensorValueFromMemory(l, input.Dims),
                    _ => throw new ArgumentException($"input '{input.Name}' has no data"),
                });
            var names = inputs.Select(i => i.Name).ToArray();
            var outputNames = session.OutputNames.ToArray();
            using var runOptions = new RunOptions();
            for (int i = 0; i < warmup; i++)
                using (session.Run(runOptions, names, values, outputNames)) { }
            var times = new double[Math.Max(repeat, 1)];
            IDisposableReadOnlyCollection<OrtValue>? last = null;
            for (int i = 0; i < times.Length; i++)
            {
                last?.Dispose();
                var watch = Stopwatch.StartNew();
                last = session.Run(runOptions, names, values, outputNames);
                times[i] = watch.Elapsed.TotalMilliseconds;
            }
            using (last)
            {
                var outputs = outputNames.Select((name, k) => ToOutput(name, last![k])).ToList();
                return new OrtRunResult(OrtEnv.Instance().GetVersionString(), outputs, times,
                    Describe(session.InputMetadata), Describe(session.OutputMetadata));
            }
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static OrtOutput ToOutput(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var (type, raw) = info.ElementDataType switch
        {
            TensorElementType.Float => ("float32", MemoryMarshal.AsBytes(value.GetTensorDataAsSpan<float>()).ToArray()),
            TensorElementType.Int64 => ("int64", MemoryMarshal.AsBytes(value.GetTensorDataAsSpan<long>()).ToArray()),
            TensorElementType.UInt8 => ("uint8", value.GetTensorDataAsSpan<byte>().ToArray()),
            var other => throw new NotSupportedException($"output '{name}' has element type {other}"),
        };
        return new OrtOutput(name, type, info.Shape, raw);
    }

    private static IReadOnlyList<OrtValueInfo> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        metadata.Select(kv => new OrtValueInfo(kv.Key, kv.Value.Dimensions.Select((d, i) =>
            d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : kv.Value.SymbolicDimensions[i]).ToArray())).ToList();
}
