using BigGan.Training.Tests.Support;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BigGan.Training.Tests.Onnx;

/// <summary>An input fed to ONNX Runtime: float32 or int64 data with its shape.</summary>
public sealed record OrtInput(string Name, long[] Dims, float[]? Floats = null, long[]? Int64s = null)
{
    public static OrtInput From(string name, Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => new(name, t.shape, Floats: t.data<float>()),
        ScalarType.Int64 => new(name, t.shape, Int64s: t.data<long>()),
        _ => throw new ArgumentException($"OrtInput '{name}': only float32 and int64 tensors are supported, got {t.dtype}"),
    };
}

/// <summary>One output of a run: its ONNX Runtime type name ("float32", "int64", ...), shape and raw bytes.</summary>
public sealed record OrtOutput(string Name, string Type, long[] Dims, byte[] Raw)
{
    public float[] Floats => Type == "float32" ? MemoryMarshal.Cast<byte, float>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not float32");
    public long[] Int64s => Type == "int64" ? MemoryMarshal.Cast<byte, long>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not int64");
}

public sealed record OrtRunResult(string OrtVersion, IReadOnlyList<OrtOutput> Outputs, double[] RunMs, JsonArray InputMetadata, JsonArray OutputMetadata)
{
    public OrtOutput this[string name] => Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"the model has no output '{name}' (outputs: {string.Join(", ", Outputs.Select(o => o.Name))})");
}

/// <summary>
/// Runs an ONNX model in ONNX Runtime through tests/onnxruntime/run.js (Node.js + the npm package onnxruntime-node,
/// which bundles the CPU runtime). Missing prerequisites fail loudly with what to install: CI installs them, so a
/// test must never pass silently without them.
/// </summary>
public static class OnnxRuntimeRunner
{
    public static string HarnessDir => Path.Combine(RepoPaths.Root, "tests", "onnxruntime");

    public static OrtRunResult Run(string modelPath, IReadOnlyList<OrtInput> inputs, int threads = 1, int warmup = 0, int repeat = 1)
    {
        var node = FindNode();
        var script = Path.Combine(HarnessDir, "run.js");
        if (!Directory.Exists(Path.Combine(HarnessDir, "node_modules", "onnxruntime-node")))
            throw new InvalidOperationException(
                $"onnxruntime-node is not installed in {HarnessDir}: run scripts/install-deps.sh (it runs `npm install --ignore-scripts` there)");

        var work = Directory.CreateTempSubdirectory("biggan-ort-");
        try
        {
            var specs = new JsonArray();
            for (int i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                var file = $"in{i}.bin";
                var (type, bytes) = input switch
                {
                    { Floats: { } f } => ("float32", MemoryMarshal.AsBytes(f.AsSpan()).ToArray()),
                    { Int64s: { } l } => ("int64", MemoryMarshal.AsBytes(l.AsSpan()).ToArray()),
                    _ => throw new ArgumentException($"input '{input.Name}' has no data"),
                };
                File.WriteAllBytes(Path.Combine(work.FullName, file), bytes);
                specs.Add(new JsonObject
                {
                    ["name"] = input.Name, ["type"] = type, ["file"] = file,
                    ["dims"] = new JsonArray(input.Dims.Select(d => (JsonNode)d).ToArray()),
                });
            }
            var request = new JsonObject
            {
                ["model"] = Path.GetFullPath(modelPath), ["outputDir"] = "out", ["inputs"] = specs,
                ["threads"] = threads, ["warmup"] = warmup, ["repeat"] = repeat,
            };
            var requestPath = Path.Combine(work.FullName, "request.json");
            File.WriteAllText(requestPath, request.ToJsonString());

            var (code, _, stderr) = ProcessRunner.Run(node, [script, requestPath], TimeSpan.FromMinutes(3));
            if (code != 0) throw new InvalidOperationException($"ONNX Runtime run of {modelPath} failed (node exit {code}): {stderr.Trim()}");

            var outDir = Path.Combine(work.FullName, "out");
            var result = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "result.json")))!.AsObject();
            var outputs = result["outputs"]!.AsArray().Select(o => new OrtOutput(
                o!["name"]!.GetValue<string>(), o["type"]!.GetValue<string>(),
                o["dims"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(),
                File.ReadAllBytes(Path.Combine(outDir, o["file"]!.GetValue<string>())))).ToList();
            return new OrtRunResult(result["ortVersion"]!.GetValue<string>(), outputs,
                result["runMs"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(),
                result["inputMetadata"]!.AsArray(), result["outputMetadata"]!.AsArray());
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static string FindNode()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BIGGAN_NODE");
        if (!string.IsNullOrEmpty(fromEnv)) return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"BIGGAN_NODE={fromEnv} does not exist");
        var found = ProcessRunner.FindOnPath("node");
        return found ?? throw new InvalidOperationException(
            "Node.js ('node') is not on PATH: ONNX Runtime tests need Node.js 18+ and onnxruntime-node (scripts/install-deps.sh installs the npm package)");
    }
}
