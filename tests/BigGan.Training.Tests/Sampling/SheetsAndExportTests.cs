using System.Text.Json.Nodes;
using BigGan.Training.Sampling;
using BigGan.Training.Tests.Support;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Sampling;

[TestClass]
public sealed class SheetsAndExportTests
{
    private const string Python = "/usr/bin/python3";
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        set_num_threads(1);
        _dir = TempDir("biggan-export-");
    }

    [TestCleanup]
    public void Cleanup() => DeleteDir(_dir);

    [TestMethod]
    public void LerpHitsBothEndpointsAndEvenSteps()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 0, 10, 1, 1 }, [2, 2]);
        var b = tensor(new float[] { 4, 30, 1, 5 }, [2, 2]);
        var p = Interpolation.Lerp(a, b, 3);
        CollectionAssert.AreEqual(new long[] { 10, 2 }, p.shape);
        CollectionAssert.AreEqual(new float[] { 0, 10, 1, 15, 2, 20, 3, 25, 4, 30, 1, 1, 1, 2, 1, 3, 1, 4, 1, 5 }, p.ToArray<float>());
        Assert.ThrowsExactly<ArgumentException>(() => Interpolation.Lerp(a, b, -1));
    }

    [TestMethod]
    public void ClassSheetHasOneRowPerClassAndOneLatentPerColumn()
    {
        using var g = Warmed(Small32, 31);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 4 });
        using var grid = SampleSheets.ClassGrid(sampler, [2, 0], 5, 0.7, 3);
        CollectionAssert.AreEqual(new long[] { 10, 3, 32, 32 }, grid.shape);
        using var row = sampler.SampleRows([0, 0, 0, 0, 0], 0.7, 3); // class 0 with latent rows 0..4
        using var second = grid.narrow(0, 5, 5);
        Assert.IsTrue(MaxAbsDiff(row, second) <= 1e-5f);

        var path = Path.Combine(_dir, "sheets", "classes.png");
        SampleSheets.WriteClassSheet(sampler, path, null, 4, 1.0, 0);
        using var png = BigGan.Training.IO.ImageCodec.Read(path, BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(new long[] { 3, 3 * 34 + 2, 4 * 34 + 2 }, png.shape); // 3 classes × 4 columns, padding 2
    }

    [TestMethod]
    public void InterpolationSheetsWalkBetweenTheirEndpoints()
    {
        using var g = Warmed(Attention32, 32);
        using var sampler = new BigGanSampler(g);
        using var scope = NewDisposeScope();
        var latents = sampler.Latents(0, 4, 1.0, 8); // endpoints of 2 rows: rows 0,1 (row 0) and 2,3 (row 1)
        foreach (var mode in new[] { InterpolationMode.Z, InterpolationMode.Class, InterpolationMode.Both })
        {
            var grid = SampleSheets.InterpolationGrid(sampler, mode, 2, 3, 1.0, 8, classes: [1, 4, 3]);
            CollectionAssert.AreEqual(new long[] { 10, 3, 32, 32 }, grid.shape);
            // row 1: first and last images are the endpoints
            long startClass = mode == InterpolationMode.Z ? 4 : 3, endClass = mode == InterpolationMode.Z ? 4 : 1;
            var zEnd = mode == InterpolationMode.Class ? latents[2] : latents[3];
            var ends = sampler.Generate(stack([latents[2], zEnd]), tensor(new long[] { startClass, endClass }));
            Assert.IsTrue(MaxAbsDiff(grid[5], ends[0]) <= 1e-5f, $"{mode}: start");
            Assert.IsTrue(MaxAbsDiff(grid[9], ends[1]) <= 1e-5f, $"{mode}: end");
            Assert.IsTrue(MaxAbsDiff(grid[6], ends[0]) > 1e-4f, $"{mode}: the midpoints move");
        }
        var path = Path.Combine(_dir, "interp.png");
        SampleSheets.WriteInterpolationSheet(sampler, path, InterpolationMode.Both, 3, 2, 1.0, 1);
        using var png = BigGan.Training.IO.ImageCodec.Read(path, BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(new long[] { 3, 3 * 34 + 2, 4 * 34 + 2 }, png.shape);
        Assert.ThrowsExactly<ArgumentException>(() => SampleSheets.InterpolationGrid(sampler, InterpolationMode.Z, 0, 1, 1.0, 0));
        Assert.ThrowsExactly<ArgumentException>(() => SampleSheets.InterpolationGrid(sampler, InterpolationMode.Z, 1, 1, 1.0, 0, classes: [9]));
    }

    [TestMethod]
    public void NpyHeaderIsPaddedToSixtyFourBytes()
    {
        var h = NpyFormat.Header(NpyFormat.UInt8, [2, 3, 4, 4]);
        Assert.AreEqual(0, h.Length % 64);
        Assert.AreEqual(0x93, h[0]);
        Assert.AreEqual("NUMPY", System.Text.Encoding.ASCII.GetString(h, 1, 5));
        Assert.AreEqual(1, h[6]);
        Assert.AreEqual(0, h[7]);
        Assert.AreEqual(h.Length - 10, BitConverter.ToUInt16(h, 8));
        var text = System.Text.Encoding.ASCII.GetString(h, 10, h.Length - 10);
        StringAssert.StartsWith(text, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4, 4), }");
        Assert.AreEqual('\n', text[^1]);
        StringAssert.Contains(System.Text.Encoding.ASCII.GetString(NpyFormat.Header(NpyFormat.Int64, [7])), "'shape': (7,)");
    }

    [TestMethod]
    public void NpzIsReadableByNumpyWithTheRightShapesTypesAndValues()
    {
        if (!File.Exists(Python)) Assert.Fail($"{Python} is missing: this test needs Debian's python3 with numpy (scripts/install-deps.sh)");
        using var g = Warmed(Tables64, 33);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 3 });
        var path = Path.Combine(_dir, "out", "samples.npz");
        var progress = new List<long>();
        var n = SampleExport.WriteNpz(sampler, path, [3, 1], 4, 0.5, 6, new SyncProgress(progress.Add));
        Assert.AreEqual(8, n);
        CollectionAssert.AreEqual(new long[] { 3, 6, 8 }, progress);
        Assert.AreEqual(1, Directory.GetFiles(Path.GetDirectoryName(path)!).Length, "no temporary file is left");

        using var images = sampler.Sample([3, 1], 4, 0.5, 6);
        using var expected = GeneratedImages.ToUint8(images);
        var script = Path.Combine(_dir, "check.py");
        File.WriteAllText(script, """
            import json, sys, numpy as np
            d = np.load(sys.argv[1])
            x, y = d['x'], d['y']
            print(json.dumps({'files': sorted(d.files), 'x_dtype': str(x.dtype), 'x_shape': list(x.shape), 'y_dtype': str(y.dtype),
                              'y_shape': list(y.shape), 'y': y.tolist(), 'x_sum': int(x.astype(np.int64).sum()),
                              'x_first': x[0, 0, 0, :8].tolist(), 'x_last': x[-1, 0, -1, -8:].tolist()}))
            """);
        var (code, stdout, stderr) = ProcessRunner.Run(Python, [script, path], TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, code, stderr);
        var r = JsonNode.Parse(stdout)!.AsObject();
        CollectionAssert.AreEqual(new[] { "x", "y" }, r["files"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray());
        Assert.AreEqual("uint8", r["x_dtype"]!.GetValue<string>());
        Assert.AreEqual("int64", r["y_dtype"]!.GetValue<string>());
        CollectionAssert.AreEqual(new long[] { 8, 1, 64, 64 }, r["x_shape"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());
        CollectionAssert.AreEqual(new long[] { 8 }, r["y_shape"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());
        CollectionAssert.AreEqual(new long[] { 3, 3, 3, 3, 1, 1, 1, 1 }, r["y"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());
        var bytes = expected.ToArray<byte>();
        Assert.AreEqual(bytes.Sum(b => (long)b), r["x_sum"]!.GetValue<long>());
        CollectionAssert.AreEqual(bytes.Take(8).Select(b => (long)b).ToArray(), r["x_first"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());
        CollectionAssert.AreEqual(bytes.Skip(bytes.Length - 8).Select(b => (long)b).ToArray(), r["x_last"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());
    }

    [TestMethod]
    public void AFailedExportLeavesNothingBehind()
    {
        using var g = Warmed(Small32, 34);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 2 });
        var npz = Path.Combine(_dir, "a.npz");
        var boom = new SyncProgress(done => { if (done >= 4) throw new IOException("disk full (simulated)"); });
        Assert.ThrowsExactly<IOException>(() => SampleExport.WriteNpz(sampler, npz, null, 2, 1.0, 0, boom));
        var folder = Path.Combine(_dir, "folder");
        Assert.ThrowsExactly<IOException>(() => SampleExport.WriteFolder(sampler, folder, null, 2, 1.0, 0, progress: boom));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(_dir).Length, string.Join(", ", Directory.GetFileSystemEntries(_dir)));

        Assert.ThrowsExactly<ArgumentException>(() => SampleExport.WriteNpz(sampler, npz, [0, 5], 2, 1.0, 0));
        Assert.ThrowsExactly<ArgumentException>(() => SampleExport.WriteNpz(sampler, npz, [0, 0], 2, 1.0, 0));
        Assert.ThrowsExactly<ArgumentException>(() => SampleExport.WriteFolder(sampler, folder, null, 0, 1.0, 0));
        Assert.ThrowsExactly<IOException>(() => SampleExport.WriteNpz(sampler, _dir, null, 1, 1.0, 0));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(_dir).Length);
    }

    [TestMethod]
    public void FolderExportHasOneSubfolderPerClassAndALabelsFile()
    {
        using var g = Warmed(Small32, 35);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 2, ClassNames = ["cat", "1", "big dog"] });
        var folder = Path.Combine(_dir, "export");
        Assert.AreEqual(9, SampleExport.WriteFolder(sampler, folder, null, 3, 1.0, 2));
        CollectionAssert.AreEqual(new[] { "0_cat", "1", "2_big dog", "labels.csv" },
            Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        CollectionAssert.AreEqual(new[] { "0000.png", "0001.png", "0002.png" },
            Directory.GetFiles(Path.Combine(folder, "2_big dog")).Select(Path.GetFileName).Order().ToArray());
        var lines = File.ReadAllLines(Path.Combine(folder, "labels.csv"));
        Assert.AreEqual("file,label,class_name", lines[0]);
        Assert.AreEqual(10, lines.Length);
        Assert.AreEqual("0_cat/0000.png,0,cat", lines[1]);
        Assert.AreEqual("2_big dog/0002.png,2,big dog", lines[9]);

        using var images = sampler.Sample([0, 1, 2], 3, 1.0, 2);
        using var expected = GeneratedImages.ToUint8(images);
        using var png = BigGan.Training.IO.ImageCodec.Read(Path.Combine(folder, "1", "0001.png"), BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(expected[4].ToArray<byte>(), png.ToArray<byte>());

        // an existing export is kept unless overwrite is asked for
        StringAssert.Contains(Assert.ThrowsExactly<IOException>(() => SampleExport.WriteFolder(sampler, folder, [1], 1, 1.0, 2)).Message, "not empty");
        Assert.AreEqual(1, SampleExport.WriteFolder(sampler, folder, [1], 1, 1.0, 2, overwrite: true));
        CollectionAssert.AreEqual(new[] { "1", "labels.csv" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.AreEqual(1, Directory.GetFileSystemEntries(_dir).Length, "no temporary or set-aside folder is left");
    }

    [TestMethod]
    public void ExportsConvertToTheAskedChannels()
    {
        using var scope = NewDisposeScope();
        using var g = Warmed(Small32, 36);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 2 });
        Assert.AreEqual(3, sampler.Channels);
        var folder = Path.Combine(_dir, "gray");
        Assert.AreEqual(6, SampleExport.WriteFolder(sampler, folder, [0, 2], 3, 1.0, 4, channels: 1));

        using var images = sampler.Sample([0, 2], 3, 1.0, 4);
        using var rgb = GeneratedImages.ToUint8(images);
        using var png = BigGan.Training.IO.ImageCodec.Read(Path.Combine(folder, "2", "0001.png"), BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(new long[] { 1, 32, 32 }, png.shape, "a gray PNG");
        // BT.601 luma of the RGB export, up to the rounding of the bytes
        var (r, gr, b) = (rgb[4][0].to(ScalarType.Float32), rgb[4][1].to(ScalarType.Float32), rgb[4][2].to(ScalarType.Float32));
        using var luma = r * 0.299f + gr * 0.587f + b * 0.114f;
        using var diff = (png[0].to(ScalarType.Float32) - luma).abs();
        Assert.IsTrue(diff.max().item<float>() <= 1f, $"gray export differs from the luma of the RGB export by {diff.max().item<float>()}");

        var npz = Path.Combine(_dir, "gray.npz");
        SampleExport.WriteNpz(sampler, npz, [0, 2], 3, 1.0, 4, channels: 1);
        using var archive = System.IO.Compression.ZipFile.OpenRead(npz);
        using var x = archive.GetEntry("x.npy")!.Open();
        var header = new byte[128];
        x.ReadExactly(header);
        StringAssert.Contains(System.Text.Encoding.ASCII.GetString(header), "'shape': (6, 1, 32, 32)");

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => SampleExport.WriteNpz(sampler, npz, null, 1, 1.0, 0, channels: 2)).Message,
            "expected 1 (gray), 3 (RGB) or 0");
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
