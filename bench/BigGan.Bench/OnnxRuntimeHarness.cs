using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace BigGan.Bench;

/// <summary>
/// Times an ONNX model in ONNX Runtime through tests/onnxruntime/run.js (Node.js + npm onnxruntime-node, which
/// bundles the CPU runtime; scripts/install-deps.sh installs it). Inputs are float32 or int64 arrays.
/// </summary>
internal static class OnnxRuntimeHarness
{
    public sealed record Input(string Name, long[] Dims, float[]? Floats = null, long[]? Int64s = null);

    public sealed record Result(string OrtVersion, double[] RunMs, Dictionary<string, float[]> FloatOutputs);

    /// <summary>The repository root: the first folder above the binaries that holds BigGan.sln.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BigGan.sln"))) return d.FullName;
        throw new InvalidOperationException($"cannot find the repository root (BigGan.sln) above {AppContext.BaseDirectory}");
    }

    public static Result Run(string modelPath, IReadOnlyList<Input> inputs, int threads, int warmup, int repeat)
    {
        var harness = Path.Combine(RepoRoot(), "tests", "onnxruntime");
        if (!Directory.Exists(Path.Combine(harness, "node_modules", "onnxruntime-node")))
            throw new InvalidOperationException($"onnxruntime-node is not installed in {harness}: run scripts/install-deps.sh");
        var node = Environment.GetEnvironmentVariable("BIGGAN_NODE") is { Length: > 0 } n ? n
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists)
              ?? throw new InvalidOperationException("Node.js ('node') is not on PATH");

        var work = Directory.CreateTempSubdirectory("biggan-bench-ort-");
        try
        {
            var specs = new JsonArray();
            for (int i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                var (type, bytes) = input.Floats is { } f ? ("float32", MemoryMarshal.AsBytes(f.AsSpan()).ToArray())
                    : ("int64", MemoryMarshal.AsBytes(input.Int64s!.AsSpan()).ToArray());
                File.WriteAllBytes(Path.Combine(work.FullName, $"in{i}.bin"), bytes);
                specs.Add(new JsonObject
                {
                    ["name"] = input.Name, ["type"] = type, ["file"] = $"in{i}.bin",
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

            var psi = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(harness, "run.js"));
            psi.ArgumentList.Add(requestPath);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"ONNX Runtime run failed (exit {p.ExitCode}): {stderr.Result.Trim()}");

            var outDir = Path.Combine(work.FullName, "out");
            var result = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "result.json")))!.AsObject();
            var floats = new Dictionary<string, float[]>();
            foreach (var o in result["outputs"]!.AsArray())
                if (o!["type"]!.GetValue<string>() == "float32")
                    floats[o["name"]!.GetValue<string>()] = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(outDir, o["file"]!.GetValue<string>()))).ToArray();
            return new Result(result["ortVersion"]!.GetValue<string>(), result["runMs"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), floats);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
