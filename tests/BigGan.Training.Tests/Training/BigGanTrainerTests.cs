using BigGan.Training.Data;
using BigGan.Training.Model;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class BigGanTrainerTests
{
    private static string NewRunDir() => Directory.CreateTempSubdirectory("biggan-train-").FullName;

    private static RunConfig TinyConfig(long iterations = 4, double emaStart = 2) => new(
        ModelConfig.Cifar(numClasses: 4, channels: 1, ch: 4) with { DimZ = 8 },
        new TrainConfig
        {
            BatchSize = 4, DSteps = 2, Iterations = iterations, EmaStart = (long)emaStart, EmaDecay = 0.9,
            Seed = 3, Threads = 1, SaveEvery = 1000, SvLogEvery = 2,
        });

    private static ShuffledBatchSource Source(ulong seed = 0) =>
        new(new ToyDataset(), new BatchSourceOptions { Seed = (long)seed, PrefetchBatches = 0 });

    private static Dictionary<string, float[]> Weights(torch.nn.Module m)
    {
        using var scope = torch.NewDisposeScope();
        return m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32).ToArray<float>());
    }

    [TestMethod]
    public void TinyRunTrainsLogsAndCheckpoints()
    {
        var dir = NewRunDir();
        using var data = Source();
        using (var trainer = new BigGanTrainer(TinyConfig(), data, dir))
        {
            var before = Weights(trainer.G);
            trainer.Train();
            Assert.AreEqual(4, trainer.Step);
            var after = Weights(trainer.G);
            Assert.IsTrue(before.Any(kv => !kv.Value.SequenceEqual(after[kv.Key])), "G did not change");
        }
        var lines = TrainingLog.Read(Path.Combine(dir, TrainingLog.DefaultFileName)).ToList();
        Assert.AreEqual(4, lines.Count);
        Assert.IsTrue(lines.All(l => double.IsFinite(l.RootElement.GetProperty("losses").GetProperty("D_loss_real").GetDouble())),
            "every step logs finite D losses");
        Assert.AreEqual(4, Checkpoint.Latest(dir)!.Step);
        Assert.IsTrue(File.Exists(Path.Combine(dir, RunConfig.FileName)));
    }

    [TestMethod]
    public void DStepsChangeOnlyDAndTheGStepOnlyG()
    {
        using var data = Source();
        using var t = new BigGanTrainer(TinyConfig(), data, NewRunDir());
        var g0 = Weights(t.G);
        var d0 = Weights(t.D);
        t.TrainDiscriminator();
        AssertParametersEqual(t.G, g0, "G's parameters must not move in D steps");
        Assert.IsTrue(Weights(t.D).Any(kv => !kv.Value.SequenceEqual(d0[kv.Key])), "D must change in its steps");
        foreach (var p in t.G.parameters()) Assert.IsNull(p.grad, "G accumulates no gradient in D steps");

        var d1 = Weights(t.D);
        var g1 = Weights(t.G);
        t.TrainGenerator();
        AssertParametersEqual(t.D, d1, "D's parameters must not move in the G step");
        Assert.IsTrue(Weights(t.G).Any(kv => !kv.Value.SequenceEqual(g1[kv.Key])), "G must change in its step");
    }

    private static void AssertParametersEqual(torch.nn.Module m, Dictionary<string, float[]> before, string message)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, p) in m.named_parameters())
            CollectionAssert.AreEqual(before[name], p.detach().ToArray<float>(), $"{message}: {name}");
    }

    [TestMethod]
    public void EmaEqualsGBeforeStartAndLagsAfter()
    {
        using var data = Source();
        using var t = new BigGanTrainer(TinyConfig(emaStart: 3), data, NewRunDir());
        t.TrainStep();
        t.TrainStep();
        var g = Weights(t.G);
        var ema = Weights(t.GEma!);
        foreach (var (k, v) in g) CollectionAssert.AreEqual(v, ema[k], $"before the EMA start, G_ema.{k} must equal G");
        t.TrainStep();
        Assert.IsTrue(Weights(t.GEma!).Any(kv => !kv.Value.SequenceEqual(Weights(t.G)[kv.Key])), "after the start G_ema averages");
    }

    [TestMethod]
    [DataRow("none", 0.0)]
    [DataRow("color,translation,cutout", 0.3)]
    public void ResumeContinuesBitForBit(string diffaug, double lecam)
    {
        torch.set_num_threads(1);
        var cfg = TinyConfig(iterations: 6);
        cfg = cfg with { Train = cfg.Train with { Diffaug = diffaug, Lecam = lecam, LecamStart = 2 } };
        var straightDir = NewRunDir();
        Dictionary<string, float[]> straightG, straightD, straightEma;
        using (var data = Source())
        using (var t = new BigGanTrainer(cfg, data, straightDir))
        {
            t.Train();
            (straightG, straightD, straightEma) = (Weights(t.G), Weights(t.D), Weights(t.GEma!));
        }

        var splitDir = NewRunDir();
        using (var data = Source())
        using (var t = new BigGanTrainer(cfg with { Train = cfg.Train with { Iterations = 3 } }, data, splitDir))
            t.Train();
        using (var data = Source())
        using (var t = new BigGanTrainer(cfg, data, splitDir, resume: true))
        {
            Assert.AreEqual(3, t.Step);
            t.Train();
            Assert.AreEqual(6, t.Step);
            foreach (var (name, expected, actual) in new[] { ("G", straightG, Weights(t.G)), ("D", straightD, Weights(t.D)), ("G_ema", straightEma, Weights(t.GEma!)) })
                foreach (var (k, v) in expected)
                    CollectionAssert.AreEqual(v, actual[k], $"{name}.{k} differs after resume");
        }
        Assert.AreEqual(6, TrainingLog.Read(Path.Combine(splitDir, TrainingLog.DefaultFileName)).Count());
    }

    [TestMethod]
    public void DiffAugmentAndLeCamEachChangeTheUpdates()
    {
        torch.set_num_threads(1);
        Dictionary<string, float[]> AfterOneStep(string diffaug, double lecam, Func<BigGanTrainer, torch.nn.Module> which, bool gStep)
        {
            var cfg = TinyConfig();
            using var data = Source();
            using var t = new BigGanTrainer(cfg with { Train = cfg.Train with { Diffaug = diffaug, Lecam = lecam } }, data, NewRunDir());
            if (gStep) t.TrainGenerator();
            else t.TrainDiscriminator();
            return Weights(which(t));
        }
        bool Differ(Dictionary<string, float[]> a, Dictionary<string, float[]> b) => a.Any(kv => !kv.Value.SequenceEqual(b[kv.Key]));

        var plainD = AfterOneStep("none", 0, t => t.D, gStep: false);
        Assert.IsTrue(Differ(plainD, AfterOneStep("none", 0.5, t => t.D, gStep: false)), "LeCam did not change D's update");
        Assert.IsTrue(Differ(plainD, AfterOneStep("translation", 0, t => t.D, gStep: false)), "DiffAugment did not change D's update");
        Assert.IsFalse(Differ(plainD, AfterOneStep("none", 0, t => t.D, gStep: false)), "the same settings must give the same update");
        // A G step alone, against the same initial D: only the augmentation of the fakes D sees can change it.
        Assert.IsTrue(Differ(AfterOneStep("none", 0, t => t.G, gStep: true), AfterOneStep("cutout", 0, t => t.G, gStep: true)),
            "DiffAugment did not change G's update");
    }

    [TestMethod]
    public void RefusesMismatchedDataAndExistingRuns()
    {
        var cfg = TinyConfig();
        using var rgb = new ShuffledBatchSource(new ToyDataset(channels: 3), new BatchSourceOptions { PrefetchBatches = 0 });
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BigGanTrainer(cfg, rgb, NewRunDir()));
        StringAssert.Contains(e.Message, "does not fit the model");

        var dir = NewRunDir();
        using var data = Source();
        using (var t = new BigGanTrainer(cfg, data, dir)) t.SaveCheckpoint();
        Assert.ThrowsExactly<InvalidOperationException>(() => new BigGanTrainer(cfg, data, dir));
        Assert.ThrowsExactly<InvalidOperationException>(() => new BigGanTrainer(cfg, data, NewRunDir(), resume: true));
    }

    [TestMethod]
    public void NanLossStopsBeforeUpdatingAndLeavesTheCheckpoint()
    {
        var dir = NewRunDir();
        using var data = Source();
        using var t = new BigGanTrainer(TinyConfig(), data, dir);
        t.TrainStep();
        var saved = t.SaveCheckpoint();
        var files = Directory.GetFiles(saved!.Path).ToDictionary(f => f, File.ReadAllBytes);
        using (torch.no_grad())
            foreach (var p in t.D.parameters()) p.fill_(double.NaN);
        var g0 = Weights(t.G);
        var e = Assert.ThrowsExactly<TrainingDivergedException>(() => t.TrainStep());
        StringAssert.Contains(e.Message, "D_loss");
        AssertParametersEqual(t.G, g0, "nothing may be updated with a NaN loss");
        foreach (var (f, bytes) in files) CollectionAssert.AreEqual(bytes, File.ReadAllBytes(f), $"{f} changed");
    }

    [TestMethod]
    public void EvaluationEveryKStepsKeepsTheBestCheckpoint()
    {
        var dir = NewRunDir();
        using var data = Source();
        using var t = new BigGanTrainer(TinyConfig(iterations: 4), data, dir);
        var scores = new Queue<double>([5.0, 3.0]); // step 2 scores 5, step 4 scores 3: the best is step 4
        var seen = new List<long>();
        t.EvaluateEvery(2, "fid", g => { seen.Add(t.Step); Assert.AreSame(t.SamplingGenerator, g); return scores.Dequeue(); });
        t.Train();
        CollectionAssert.AreEqual(new long[] { 2, 4 }, seen);
        var best = Checkpoint.Best(dir)!;
        Assert.AreEqual(4, best.Step);
        Assert.AreEqual(("fid", 3.0, false), best.Metric);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.EvaluateEvery(0, "fid", _ => 0));
    }
}
