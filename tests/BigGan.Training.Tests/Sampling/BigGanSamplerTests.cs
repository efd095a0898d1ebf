using BigGan.Training.Model;
using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;
using BigGan.Training.Training;
using static BigGan.Training.Tests.Sampling.SamplingFixtures;

namespace BigGan.Training.Tests.Sampling;

[TestClass]
public sealed class BigGanSamplerTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        set_num_threads(1);
        _dir = TempDir("biggan-sampler-");
    }

    [TestCleanup]
    public void Cleanup() => DeleteDir(_dir);

    [TestMethod]
    public void ImagesDependOnSeedAndRowNotOnBatchSize()
    {
        using var g = Warmed(Attention32, 1);
        int[] classes = [0, 4, 2, 2, 1, 3, 0];
        Tensor? reference = null;
        foreach (var batch in new[] { 7, 1, 3, 64 })
        {
            using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = batch });
            var images = sampler.SampleRows(classes, 0.8, seed: 5);
            Assert.AreEqual(4, images.dim());
            CollectionAssert.AreEqual(new long[] { 7, 3, 32, 32 }, images.shape);
            if (reference is null) reference = images;
            else Assert.IsTrue(MaxAbsDiff(reference, images) <= 1e-5f, $"batch {batch}: max diff {MaxAbsDiff(reference, images)}");
        }
        // a row keeps its image when drawn alone, given its row index
        using var alone = new BigGanSampler(g, new SamplerOptions { BatchSize = 2 });
        using var tail = alone.SampleRows(classes.AsSpan(4), 0.8, seed: 5, firstRow: 4);
        using var expected = reference!.narrow(0, 4, 3);
        Assert.IsTrue(MaxAbsDiff(expected, tail) <= 1e-5f);
        reference.Dispose();
    }

    [TestMethod]
    public void SampleIsClassMajorAndEvalModeLeavesTheGeneratorUntouched()
    {
        using var g = Warmed(Small32, 2);
        g.train(); // the sampler must use eval mode anyway, and give the mode back
        var before = g.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var sampler = new BigGanSampler(g);
        using var images = sampler.Sample([2, 0], 3, Truncation.None, seed: 9);
        CollectionAssert.AreEqual(new long[] { 6, 3, 32, 32 }, images.shape);
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 0, 0, 0 }, sampler.RowClasses([2, 0], 3));
        using var rows = sampler.SampleRows([2, 2, 2, 0, 0, 0], Truncation.None, 9);
        Assert.AreEqual(0f, MaxAbsDiff(images, rows));
        using var again = sampler.Sample([2, 0], 3, Truncation.None, seed: 9);
        Assert.AreEqual(0f, MaxAbsDiff(images, again), "eval mode: the same request gives the same images");
        Assert.IsTrue(g.training, "the generator's mode is restored");
        foreach (var (name, t) in g.state_dict())
            Assert.AreEqual(0f, MaxAbsDiff(before[name], t), $"{name} changed while sampling");
        Assert.IsTrue(images.min().item<float>() >= -1 && images.max().item<float>() <= 1);
    }

    [TestMethod]
    public void GenerateMatchesTheGeneratorForwardInEvalMode()
    {
        using var g = Warmed(Tables64, 3);
        using var sampler = new BigGanSampler(g, new SamplerOptions { BatchSize = 2 });
        using var z = sampler.Latents(0, 5, 1.0, 4);
        using var y = tensor(new long[] { 0, 1, 2, 3, 1 });
        using var images = sampler.Generate(z, y);
        g.eval();
        using var expected = g.forward(z, y);
        Assert.IsTrue(MaxAbsDiff(expected, images) <= 1e-5f);

        // the span-based form the synthesis layer uses
        var latents = z.ToArray<float>();
        var pixels = new float[5 * 64 * 64];
        sampler.Generate(latents, [0, 1, 2, 3, 1], pixels);
        AssertClose(images.ToArray<float>(), pixels, "span form");
        var seeds = new ulong[] { LatentSampler.RowSeed(4, 0), LatentSampler.RowSeed(4, 1) };
        var drawn = new float[2 * 8];
        sampler.SampleLatents(seeds, 1.0, drawn);
        CollectionAssert.AreEqual(latents.AsSpan(0, 16).ToArray(), drawn);
    }

    // The folded eval forward (W/σ once, BN as per-sample scale/shift, 4-phase up-conv) is the module's eval forward.
    [TestMethod]
    public void FoldedForwardComputesTheModulesEvalForward()
    {
        foreach (var config in new[] { Attention32, Tables64, Small32 })
        {
            using var g = Warmed(config, 7);
            using var folded = new BigGanSampler(g, new SamplerOptions { BatchSize = 3 });
            using var module = new BigGanSampler(g, new SamplerOptions { BatchSize = 3, FoldedForward = false });
            using var scope = NewDisposeScope();
            var z = folded.Latents(0, 5, Truncation.None, 2);
            var y = tensor(new long[] { 0, 1, 2, 3 % config.NumClasses, 1 });
            Tensor expected;
            using (no_grad()) expected = g.forward(z, y);
            // batches of 3 + 2 against one of 5: libtorch may pick other kernels, so equal up to float rounding
            Assert.IsTrue(MaxAbsDiff(expected, module.Generate(z, y)) <= 1e-5f, "the module path is the module's forward");
            var diff = MaxAbsDiff(expected, folded.Generate(z, y));
            Assert.IsTrue(diff <= 1e-5f, $"{config.Resolution}×{config.Resolution}: folded forward differs by {diff}");
            var e = folded.Embed(y).mul(0.9).add(folded.Embed(tensor(new long[] { 1, 1, 0, 0, 2 })).mul(0.1));
            Tensor expectedEmbedded;
            using (no_grad()) expectedEmbedded = g.ForwardEmbedded(z, e);
            Assert.IsTrue(MaxAbsDiff(expectedEmbedded, folded.GenerateEmbedded(z, e)) <= 1e-5f);
        }
    }

    [TestMethod]
    public void ClassMixtures()
    {
        foreach (var config in new[] { Small32, Tables64 })
        {
            using var g = Warmed(config, 4);
            using var sampler = new BigGanSampler(g);
            var k = config.NumClasses;
            using var scope = NewDisposeScope();
            var z = sampler.Latents(0, 3, Truncation.None, 1);
            // a one-hot mixture is the class itself
            var oneHot = zeros(3, k);
            oneHot[0][1].fill_(1); oneHot[1][0].fill_(1); oneHot[2][k - 1].fill_(1);
            var byMixture = sampler.GenerateMixture(z, oneHot);
            var byClass = sampler.Generate(z, tensor(new long[] { 1, 0, k - 1 }));
            Assert.IsTrue(MaxAbsDiff(byMixture, byClass) <= 1e-5f, $"{config.Resolution}: one-hot mixture differs by {MaxAbsDiff(byMixture, byClass)}");
            // a 50/50 mixture is the midpoint of the two class embeddings
            var w = new float[k];
            w[0] = 0.5f; w[1] = 0.5f;
            var mixed = sampler.SampleMixture(w, 3, Truncation.None, 1);
            var e = sampler.Embed(tensor(new long[] { 0, 1 }));
            var mid = e[0].add(e[1]).mul_(0.5).unsqueeze(0).expand(3, g.ConditionDim).contiguous();
            var byEmbedding = sampler.GenerateEmbedded(z, mid);
            Assert.IsTrue(MaxAbsDiff(mixed, byEmbedding) <= 1e-5f);
        }
    }

    [TestMethod]
    public void BadInputGivesClearErrors()
    {
        using var g = Warmed(Small32, 5);
        using var sampler = new BigGanSampler(g);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([3], 1, 1.0, 0)).Message, "out of range");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([-1], 1, 1.0, 0)).Message, "out of range");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([0], 0, 1.0, 0)).Message, "count is 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([], 1, 1.0, 0)).Message, "no classes");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([0], 1, 0.0, 0)).Message, "truncation");
        Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([0], 1, -0.5, 0));
        Assert.ThrowsExactly<ArgumentException>(() => sampler.Sample([0], 1, double.NaN, 0));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.SampleMixture([0.5f, 0.4f, 0f], 1, 1.0, 0)).Message, "sum to 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.SampleMixture([1.5f, -0.5f, 0f], 1, 1.0, 0)).Message, "negative");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.SampleMixture([float.NaN, 1f, 0f], 1, 1.0, 0)).Message, "non-finite");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.SampleMixture([1f, 0f], 1, 1.0, 0)).Message, "one per class");
        using var scope = NewDisposeScope();
        var z = sampler.Latents(0, 2, 1.0, 0);
        z[1][0].fill_(double.NaN);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sampler.Generate(z, tensor(new long[] { 0, 1 }))).Message, "NaN");
        Assert.ThrowsExactly<ArgumentException>(() => sampler.Generate(zeros(2, 5), tensor(new long[] { 0, 1 })));
        Assert.ThrowsExactly<ArgumentException>(() => sampler.Generate(zeros(2, 12), tensor(new long[] { 0 })));
        Assert.ThrowsExactly<ArgumentException>(() => sampler.Generate(zeros(2, 12), tensor(new long[] { 0, 7 })));
        Assert.ThrowsExactly<ArgumentException>(() => sampler.GenerateEmbedded(zeros(2, 12), zeros(2, 3)));
        Assert.ThrowsExactly<ArgumentException>(() => new BigGanSampler(g, new SamplerOptions { BatchSize = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => new BigGanSampler(g, new SamplerOptions { ClassNames = ["a"] }));
        Assert.AreEqual(1, sampler.ClassIndex("1"));
        Assert.ThrowsExactly<ArgumentException>(() => sampler.ClassIndex("cat"));
    }

    [TestMethod]
    public void OutputsAsChwArraysAndPngs()
    {
        using var g = Warmed(Tables64, 6);
        using var sampler = new BigGanSampler(g, new SamplerOptions { ClassNames = ["a", "b", "c", "d"] });
        Assert.AreEqual(2, sampler.ClassIndex("C"));
        using var images = sampler.Sample([1, 3], 1, 1.0, 2);
        var signed = sampler.SampleChw([1, 3], 1, 1.0, 2);
        var bytes = sampler.SampleChw([1, 3], 1, 1.0, 2, PixelRange.ZeroTo255);
        Assert.AreEqual(2, signed.Length);
        Assert.AreEqual(64 * 64, signed[0].Length);
        AssertClose(images[1].ToArray<float>(), signed[1], "CHW arrays");
        for (int i = 0; i < signed[0].Length; i++) Assert.AreEqual((signed[0][i] + 1) * 127.5f, bytes[0][i], 1e-3f);
        var pngs = sampler.SamplePng([1, 3], 1, 1.0, 2);
        using var decoded = BigGan.Training.IO.ImageCodec.Decode(pngs[1], BigGan.Training.IO.ImageReadMode.Unchanged);
        CollectionAssert.AreEqual(new long[] { 1, 64, 64 }, decoded.shape);
        using var expected = GeneratedImages.ToUint8(images)[1];
        CollectionAssert.AreEqual(expected.ToArray<byte>(), decoded.ToArray<byte>());
    }

    // ---- loading ----

    [TestMethod]
    public void LoadsTheEmaGeneratorOfARunsLatestCheckpoint()
    {
        using var ema = Warmed(Attention32, 10);
        using var raw = Warmed(Attention32, 11);
        var run = WriteRun(Path.Combine(_dir, "run"), Attention32, ema, raw, step: 20);
        File.WriteAllLines(Path.Combine(run, BigGanSampler.ClassNamesFile), ["ant", "bee", "cat", "dog", "eel"]);
        using var z = LatentSampler.RowsTensor(1, 0, 3, 16, 1.0);
        using var y = tensor(new long[] { 4, 0, 2 });
        using var fromEma = ema.forward(z, y);
        using var fromRaw = raw.forward(z, y);

        using (var sampler = BigGanSampler.Load(run))
        {
            Assert.AreEqual(20L, sampler.Step);
            Assert.AreEqual(Attention32, sampler.Config);
            CollectionAssert.AreEqual(new[] { "ant", "bee", "cat", "dog", "eel" }, sampler.ClassNames.ToArray());
            StringAssert.EndsWith(sampler.SourcePath, Checkpoint.GEmaFile);
            Assert.IsTrue(MaxAbsDiff(fromEma, sampler.Generate(z, y)) <= 1e-5f);
        }
        var checkpointDir = Checkpoint.Latest(run)!.Path;
        using (var sampler = BigGanSampler.Load(checkpointDir, new SamplerOptions { Weights = GeneratorWeights.Raw }))
            Assert.IsTrue(MaxAbsDiff(fromRaw, sampler.Generate(z, y)) <= 1e-5f);
        using (var sampler = BigGanSampler.Load(Path.Combine(checkpointDir, Checkpoint.GEmaFile)))
        {
            Assert.IsTrue(MaxAbsDiff(fromEma, sampler.Generate(z, y)) <= 1e-5f);
            Assert.AreEqual("eel", sampler.ClassNames[4], "class names come from the run folder two levels up");
        }
    }

    [TestMethod]
    public void LoadErrorsNameTheProblem()
    {
        var missing = Path.Combine(_dir, "nope");
        StringAssert.Contains(Assert.ThrowsExactly<DirectoryNotFoundException>(() => BigGanSampler.Load(missing)).Message, missing);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => BigGanSampler.Load(empty)).Message, "neither a run folder");
        Directory.CreateDirectory(Checkpoint.Folder(empty));
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => BigGanSampler.Load(empty)).Message, "no complete checkpoint");

        // a run whose weights belong to another architecture than its saved configuration
        using var ema = Warmed(Small32, 12);
        var run = WriteRun(Path.Combine(_dir, "run"), Small32, ema);
        var file = Path.Combine(Checkpoint.Latest(run)!.Path, Checkpoint.GEmaFile);
        var (tensors, meta) = BigGan.Training.IO.Safetensors.Load(file);
        meta[Checkpoint.Keys.Config] = new RunConfig(Small32 with { GCh = 3 }, new TrainConfig()).ToJson();
        BigGan.Training.IO.Safetensors.Save(tensors, file, meta);
        foreach (var t in tensors.Values) t.Dispose();
        var e = Assert.ThrowsExactly<ArgumentException>(() => BigGanSampler.Load(run));
        StringAssert.Contains(e.Message, file);
        StringAssert.Contains(e.Message, "architectures differ");

        // a corrupt file
        File.WriteAllBytes(file, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(run)).Message, file);

        // no EMA copy when one is required
        using var g = Warmed(Small32, 13);
        using var d = new Discriminator(Small32);
        using var gOpt = new Adam(g.parameters());
        using var dOpt = new Adam(d.parameters());
        var noEma = Path.Combine(_dir, "noema");
        Checkpoint.Save(noEma, new TrainingState { G = g, D = d, GOptimizer = gOpt, DOptimizer = dOpt, IncludeDefaultRng = false, ConfigJson = new RunConfig(Small32, new TrainConfig { UseEma = false }).ToJson() });
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => BigGanSampler.Load(noEma, new SamplerOptions { Weights = GeneratorWeights.Ema })).Message, "no EMA");
        using var fallback = BigGanSampler.Load(noEma);
        StringAssert.EndsWith(fallback.SourcePath, Checkpoint.GFile);

        // a configuration without metadata and without config.json
        var bare = Directory.CreateDirectory(Path.Combine(_dir, "bare")).FullName;
        using (var scope = NewDisposeScope()) BigGan.Training.IO.Safetensors.Save(g.state_dict(), Path.Combine(bare, Checkpoint.GFile));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => BigGanSampler.Load(bare)).Message, "no model configuration");
    }

    [TestMethod]
    public void ServesTheSynthesisLayerThroughTheRunLoader()
    {
        using var ema = Warmed(Small32, 15);
        var run = WriteRun(Path.Combine(_dir, "run"), Small32, ema);
        var generator = GeneratorRunLoader.Load(run);
        try
        {
            Assert.IsInstanceOfType<BigGanSampler>(generator);
            Assert.AreEqual((3, 3, 32, 12), (generator.NumClasses, generator.Channels, generator.Resolution, generator.DimZ));
            ulong[] seeds = [11, 12];
            var latents = new float[2 * 12];
            generator.SampleLatents(seeds, 0.5f, latents);
            var expected = new float[2 * 12];
            LatentSampler.Draw(seeds, 0.5, expected);
            CollectionAssert.AreEqual(expected, latents);
            Assert.IsTrue(latents.All(v => Math.Abs(v) <= 0.5f));
            var images = new float[2 * 3 * 32 * 32];
            generator.Generate(latents, [2, 0], images);
            using var z = tensor(latents, [2, 12]);
            using var y = tensor(new long[] { 2, 0 });
            using var reference = ema.forward(z, y);
            using var got = tensor(images, [2, 3, 32, 32]);
            Assert.IsTrue(MaxAbsDiff(reference, got) <= 1e-5f);
        }
        finally
        {
            ((IDisposable)generator).Dispose();
        }
    }

    [TestMethod]
    public void ALoadedSamplerKeepsItsFoldUntilItsStateChanges()
    {
        using var ema = Warmed(Small32, 16);
        var run = WriteRun(Path.Combine(_dir, "run"), Small32, ema);
        using var sampler = BigGanSampler.Load(run);
        using var before = sampler.Sample([0, 2], 2, 1.0, 3);
        sampler.UseStandingStatistics(new StandingStatisticsOptions { Accumulations = 2, BatchSize = 4 });
        using var standing = sampler.Sample([0, 2], 2, 1.0, 3);
        Assert.IsTrue(MaxAbsDiff(before, standing) > 1e-4f, "new statistics are seen");
        sampler.UseRunningStatistics();
        using var again = sampler.Sample([0, 2], 2, 1.0, 3);
        Assert.AreEqual(0f, MaxAbsDiff(before, again));
        using (no_grad()) sampler.Generator.output_conv.weight.add_(0.1);
        using var stale = sampler.Sample([0, 2], 2, 1.0, 3);
        Assert.AreEqual(0f, MaxAbsDiff(before, stale), "a direct change to the owned generator needs Refresh");
        sampler.Refresh();
        using var refreshed = sampler.Sample([0, 2], 2, 1.0, 3);
        Assert.IsTrue(MaxAbsDiff(before, refreshed) > 1e-4f);
    }

    [TestMethod]
    public void StandingStatisticsFromTheRunConfiguration()
    {
        using var ema = Warmed(Small32, 14);
        var run = WriteRun(Path.Combine(_dir, "run"), Small32, ema, train: new TrainConfig { StandingStats = true, NumStandingAccumulations = 2, BatchSize = 4 });
        using var sampler = BigGanSampler.Load(run);
        Assert.AreEqual(BatchNormStatistics.Standing, sampler.Statistics);
        using var running = BigGanSampler.Load(run, new SamplerOptions { Statistics = BatchNormStatistics.Running });
        Assert.AreEqual(BatchNormStatistics.Running, running.Statistics);
        Assert.IsTrue(MaxAbsDiff(sampler.Generator.output_bn.stored_mean, running.Generator.output_bn.stored_mean) > 1e-4f);
    }

    // Images computed in different calls (other batchings, other kernels) agree up to float rounding.
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], 1e-5f, $"{what}: element {i}");
    }
}
