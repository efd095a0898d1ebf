using BigGan.Training.Tests.Sampling;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Onnx;

/// <summary>
/// `biggan export` with no options writes what ML.NET's plain ApplyOnnxModel feeds: batch 1 and class_index int64 [1, 1]
/// (a scalar column arrives as [1, 1]). BigGan.MLNet.Onnx.Tests runs such a graph through ApplyOnnxModel.
/// </summary>
[TestClass]
public sealed class ExportDefaultsTests
{
    [TestMethod]
    public void DefaultExportIsWhatMLNetFeeds()
    {
        var dir = TempDir("biggan-export-defaults-");
        try
        {
            using (var ema = Warmed(SamplingFixtures.Small32, 52))
                WriteRun(Path.Combine(dir, "run"), SamplingFixtures.Small32, ema, step: 3);
            var path = Path.Combine(dir, "g.onnx");
            using var p = CliProcess.Start(["export", "--run", Path.Combine(dir, "run"), "--onnx", path, "--threads", "1"]);
            Assert.AreEqual(0, p.WaitForExit(TimeSpan.FromMinutes(2)), p.Text);
            StringAssert.Contains(p.Text, "class_index int64 [N, 1]");
            var inputs = OnnxChecker.Check(path)["inputs"]!.AsArray();
            Assert.AreEqual("z", inputs[0]!["name"]!.GetValue<string>());
            Assert.AreEqual($"[1,{SamplingFixtures.Small32.DimZ}]", inputs[0]!["dims"]!.ToJsonString());
            Assert.AreEqual("class_index", inputs[1]!["name"]!.GetValue<string>());
            Assert.AreEqual("[1,1]", inputs[1]!["dims"]!.ToJsonString());
        }
        finally { DeleteDir(dir); }
    }
}
