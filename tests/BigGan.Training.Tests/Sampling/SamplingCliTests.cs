using System.IO.Compression;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.Onnx;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Sampling;

/// <summary>`biggan sample`, `interpolate` and `export` on a tiny run folder, as a user runs them.</summary>
[TestClass]
public sealed class SamplingCliTests
{
    private static string _dir = "", _run = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _dir = TempDir("biggan-cli-sampling-");
        using var ema = Warmed(SamplingFixtures.Small32, 51);
        _run = WriteRun(Path.Combine(_dir, "run"), SamplingFixtures.Small32, ema, step: 7);
        File.WriteAllLines(Path.Combine(_run, BigGanSampler.ClassNamesFile), ["cat", "dog", "eel"]);
    }

    [ClassCleanup]
    public static void Cleanup() => DeleteDir(_dir);

    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start([.. args, "--threads", "1"]);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, p.Text);
    }

    [TestMethod]
    public void SampleWritesSheetsNpzAndFolders()
    {
        var sheet = Path.Combine(_dir, "out", "sheet.png");
        var (code, text) = Biggan("sample", "--run", _run, "--out", sheet, "--per-class", "3", "--classes", "dog,0", "--truncation", "0.5", "--seed", "4");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "step 7");
        using (var png = BigGan.Training.IO.ImageCodec.Read(sheet, BigGan.Training.IO.ImageReadMode.Unchanged))
            CollectionAssert.AreEqual(new long[] { 3, 2 * 34 + 2, 3 * 34 + 2 }, png.shape);

        var npz = Path.Combine(_dir, "out", "samples.npz");
        (code, text) = Biggan("sample", "--run", _run, "--out", npz, "--per-class", "2", "--format", "npz", "--truncation", "tfhub:0.4");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "x uint8 [6, 3, 32, 32], y int64 [6]");
        using (var zip = ZipFile.OpenRead(npz))
            CollectionAssert.AreEqual(new[] { "x.npy", "y.npy" }, zip.Entries.Select(e => e.FullName).ToArray());
        (code, text) = Biggan("sample", "--run", _run, "--out", npz, "--per-class", "2", "--format", "npz", "--channels", "1");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "x uint8 [6, 1, 32, 32], y int64 [6]");

        var folder = Path.Combine(_dir, "out", "folder");
        (code, text) = Biggan("sample", "--run", _run, "--out", folder, "--per-class", "2", "--format", "folder", "--classes", "eel");
        Assert.AreEqual(0, code, text);
        CollectionAssert.AreEqual(new[] { "2_eel", "labels.csv" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.AreEqual(2, Directory.GetFiles(Path.Combine(folder, "2_eel")).Length);
    }

    [TestMethod]
    public void BadTruncationAndClassesNameTheOptionAndTheItem()
    {
        var sheet = Path.Combine(_dir, "bad", "sheet.png");
        var (code, text) = Biggan("sample", "--run", _run, "--out", sheet, "--truncation", "-1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--truncation -1: truncation is -1; expected a number > 0");
        Assert.IsFalse(text.Contains("Parameter"), text);

        (code, text) = Biggan("sample", "--run", _run, "--out", sheet, "--classes", "0,dog,42");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--classes 0,dog,42: item 3 ('42'): class 42 is out of range: the generator has 3 classes (0..2)");
        Assert.IsFalse(text.Contains("nameOrIndex"), text);
        Assert.IsFalse(File.Exists(sheet), "nothing written");

        (code, text) = Biggan("sample", "--run", _run, "--out", sheet, "--format", "npz", "--channels", "2");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--channels 2: expected 1 (gray), 3 (RGB) or 0");
        (code, text) = Biggan("sample", "--run", _run, "--out", sheet, "--channels", "1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--channels applies to --format npz or folder");
        Assert.IsFalse(File.Exists(sheet), "nothing written");
    }

    [TestMethod]
    public void SamplingARunWithADamagedNewestCheckpointWarnsAndUsesTheOlderOne()
    {
        using var ema = Warmed(SamplingFixtures.Small32, 52);
        var run = WriteRun(Path.Combine(_dir, "damaged"), SamplingFixtures.Small32, ema, step: 3);
        WriteRun(run, SamplingFixtures.Small32, ema, step: 5);
        var newest = BigGan.Training.Training.Checkpoint.Folders(run)[0].path;
        var file = Path.Combine(newest, BigGan.Training.Training.Checkpoint.GEmaFile);
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(file, bytes);

        var (code, text) = Biggan("sample", "--run", run, "--out", Path.Combine(_dir, "damaged.png"));
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "warning:");
        StringAssert.Contains(text, $"skipped 1 unusable checkpoint(s): {Path.GetFileName(newest)}");
        StringAssert.Contains(text, "step 3");
    }

    [TestMethod]
    public void InterpolateWritesOneRowPerInterpolation()
    {
        var path = Path.Combine(_dir, "interp.png");
        var (code, text) = Biggan("interpolate", "--run", _run, "--out", path, "--mode", "both", "--rows", "2", "--midpoints", "1");
        Assert.AreEqual(0, code, text);
        using var png = BigGan.Training.IO.ImageCodec.Read(path, BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(new long[] { 3, 2 * 34 + 2, 3 * 34 + 2 }, png.shape);
    }

    [TestMethod]
    public void ExportWritesAnOnnxFileTheCheckerAccepts()
    {
        var path = Path.Combine(_dir, "g.onnx");
        var (code, text) = Biggan("export", "--run", _run, "--onnx", path, "--batch", "dynamic", "--class-input", "onehot", "--opset", "11");
        Assert.AreEqual(0, code, text);
        var summary = OnnxChecker.Check(path);
        Assert.AreEqual(11, summary["opset_import"]![""]!.GetValue<int>());
        Assert.AreEqual("class_onehot", summary["inputs"]![1]!["name"]!.GetValue<string>());
        Assert.AreEqual("[\"cat\",\"dog\",\"eel\"]", summary["metadata"]!["biggan.class_names"]!.GetValue<string>());
        Assert.AreEqual("7", summary["metadata"]!["biggan.step"]!.GetValue<string>());
    }

    [TestMethod]
    public void BadArgumentsGiveOneClearLine()
    {
        var (code, text) = Biggan("sample", "--run", _run, "--out", Path.Combine(_dir, "x.png"), "--classes", "7");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "out of range");
        (code, text) = Biggan("sample", "--run", _run, "--out", Path.Combine(_dir, "x.png"), "--truncation", "0");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "truncation");
        (code, text) = Biggan("sample", "--run", Path.Combine(_dir, "missing"), "--out", Path.Combine(_dir, "x.png"));
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "does not exist");
        (code, text) = Biggan("interpolate", "--run", _run, "--out", Path.Combine(_dir, "x.png"), "--mode", "w");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "expected z, class or both");
        (code, text) = Biggan("sample", "--run", _run, "--out", Path.Combine(_dir, "x.png"), "--device", "tpu");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "use cpu, cuda or cuda:N");
        if (!torch.cuda.is_available())
        {
            (code, text) = Biggan("sample", "--run", _run, "--out", Path.Combine(_dir, "x.png"), "--device", "cuda:0");
            Assert.AreEqual(1, code, text);
            StringAssert.Contains(text, "Device 'cuda:0' was requested");
        }
        var blocker = Path.Combine(_dir, "blocker");
        File.WriteAllText(blocker, "");
        (code, text) = Biggan("export", "--run", _run, "--onnx", Path.Combine(blocker, "g.onnx"));
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "g.onnx");
        (code, text) = Biggan("export", "--run", _run, "--onnx", Path.Combine(_dir, "g2.onnx"), "--batch", "4");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "expected 1 or dynamic");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "g2.onnx")));
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "x.png")));
    }
}
