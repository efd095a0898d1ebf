// Compiled into BigGan.Training.Tests and BigGan.Bench (linked from both projects): the C# side of run.js.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using TorchSharp;

namespace BigGan.OnnxRuntime;

/// <summary>An input fed to ONNX Runtime: float32 or int64 data with its shape.</summary>
internal sealed record OrtInput(string Name, long[] Dims, float[]? Floats = null, long[]? Int64s = null)
{
    public static OrtInput From(string name, Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => new(name, t.shape, Floats: t.ToArray<float>()),
        ScalarType.Int64 => new(name, t.shape, Int64s: t.ToArray<long>()),
        _ => throw new ArgumentException($"OrtInput '{name}': only float32 and int64 tensors are supported, got {t.dtype}"),
    };
}

/// <summary>One output of a run: its ONNX Runtime type name ("float32", "int64", ...), shape and raw bytes.</summary>
internal sealed record OrtOutput(string Name, string Type, long[] Dims, byte[] Raw)
{
    public float[] Floats => Type == "float32" ? MemoryMarshal.Cast<byte, float>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not float32");
    public long[] Int64s => Type == "int64" ? MemoryMarshal.Cast<byte, long>(Raw).ToArray() : throw new InvalidOperationException($"output '{Name}' is {Type}, not int64");
}

/// <summary>What a run gave back: the runtime's version, every output, the time of each timed run, and the model's
/// input and output metadata as ONNX Runtime reports it.</summary>
internal sealed record OrtRunResult(string OrtVersion, IReadOnlyList<OrtOutput> Outputs, double[] RunMs, JsonArray InputMetadata, JsonArray OutputMetadata)
{
    public OrtOutput this[string name] => Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"the model has no output '{name}' (outputs: {string.Join(", ", Outputs.Select(o => o.Name))})");
}

/// <summary>
/// Runs an ONNX model in ONNX Runtime through tests/onnxruntime/run.js (Node.js + the npm package onnxruntime-node,
/// which bundles the CPU runtime; scripts/install-deps.sh installs it). Inputs and outputs travel as raw files next
/// to a JSON request. Missing prerequisites fail loudly with what to install.
/// </summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>tests/onnxruntime of the repository the binaries were built in (the first folder above them that holds BigGan.sln).</summary>
    public static string HarnessDir { get; } = FindHarness();

    public static OrtRunResult Run(string modelPath, IReadOnlyList<OrtInput> inputs, int threads = 1, int warmup = 0, int repeat = 1)
    {
        var node = FindNode();
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

            var (code, stderr) = RunNode(node, [Path.Combine(HarnessDir, "run.js"), requestPath], TimeSpan.FromMinutes(10));
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

    private static (int code, string stderr) RunNode(string node, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {node}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ONNX Runtime (node {string.Join(' ', psi.ArgumentList)}) did not finish within {timeout}");
        }
        _ = stdout.Result;
        return (p.ExitCode, stderr.Result);
    }

    private static string FindHarness()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BigGan.sln"))) return Path.Combine(d.FullName, "tests", "onnxruntime");
        throw new InvalidOperationException($"cannot find the repository root (BigGan.sln) above {AppContext.BaseDirectory}");
    }

    private static string FindNode()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BIGGAN_NODE");
        if (!string.IsNullOrEmpty(fromEnv)) return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"BIGGAN_NODE={fromEnv} does not exist");
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                   .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(
                   "Node.js ('node') is not on PATH: ONNX Runtime runs need Node.js 18+ and onnxruntime-node (scripts/install-deps.sh installs the npm package)");
    }
}
