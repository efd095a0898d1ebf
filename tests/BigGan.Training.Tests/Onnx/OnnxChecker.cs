using System.Text.Json.Nodes;
using BigGan.Training.Tests.Support;

namespace BigGan.Training.Tests.Onnx;

/// <summary>Validates ONNX files with Debian's python3-onnx checker (full check, including shape inference).</summary>
public static class OnnxChecker
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Checks the file and returns the reference decoder's summary (see tests/onnxruntime/check_model.py);
    /// with <paramref name="reserializeTo"/> the reference implementation also re-encodes the parsed model there.</summary>
    public static JsonObject Check(string modelPath, string? reserializeTo = null)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: the ONNX checker needs Debian's python3 with python3-onnx (scripts/install-deps.sh)");
        var script = Path.Combine(HarnessDir, "check_model.py");
        var (code, stdout, stderr) = ProcessRunner.Run(Python, reserializeTo is null ? [script, modelPath] : [script, modelPath, reserializeTo], TimeSpan.FromMinutes(2));
        if (code == 3) throw new InvalidOperationException(stderr.Trim());
        if (code != 0) throw new AssertFailedException($"the ONNX checker rejected {modelPath}: {stderr.Trim()}");
        return JsonNode.Parse(stdout)!.AsObject();
    }

    // tests/onnxruntime of the repository the binaries were built in (the first folder above them holding BigGan.sln).
    private static string HarnessDir { get; } = FindHarness();

    private static string FindHarness()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BigGan.sln"))) return Path.Combine(d.FullName, "tests", "onnxruntime");
        throw new InvalidOperationException($"cannot find the repository root (BigGan.sln) above {AppContext.BaseDirectory}");
    }
}
