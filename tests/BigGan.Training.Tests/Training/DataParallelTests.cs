using System.Globalization;
using BigGan.Training.Data;
using BigGan.Training.Tests.Data;
using BigGan.Training.Tests.Support;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

/// <summary>
/// Data-parallel training through the <c>biggan</c> tool, on loopback: ranks started by hand with the torchrun
/// variables (as on several machines) and by <c>--nproc</c>. Failures of the process group itself (a wrong
/// WORLD_SIZE, an unreachable master, a peer killed inside a collective) are covered by the engine's own tests in
/// tests/BigGan.Training.Tests/Distributed; these cover what the trainer and the launcher add. Every wait is bounded.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class DataParallelTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static TempFolder NewData(out string imagesPath)
    {
        var folder = new TempFolder();
        var labels = Enumerable.Range(0, 32).Select(i => (byte)(i % 4)).ToArray();
        imagesPath = DataFixtures.WriteIdxPair(folder.Path, "train", DataFixtures.IdxImages(32), DataFixtures.IdxLabels(labels), gzip: false).images;
        return folder;
    }

    /// <summary>A tiny run (ch 4, 32×32, global batch 4). Adam's ε is 1 so that its update is linear in small
    /// gradients: with the default 1e-8 Adam maps every gradient element that cancels down to rounding level to ±lr,
    /// so a different summation order alone (one process with 1 or 2 threads) already moves such weights by 2·lr.</summary>
    private static List<string> TinyRun(string data, string output, long iterations, params string[] more) => TinyRun(data, output, iterations, 3, more);

    private static List<string> TinyRun(string data, string output, long iterations, int seed, params string[] more) =>
    [
        "train", "--data", data, "--out", output, "--ch", "4", "--dim-z", "8", "--batch-size", "4",
        "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--save-every", "1", "--num-save-copies", "5",
        "--seed", seed.ToString(CultureInfo.InvariantCulture), "--ema-start", "2", "--ema-decay", "0.9", "--adam-eps", "1", "--sv-log-every", "0", .. more,
    ];

    [TestMethod]
    [DataRow(new string[0])]
    [DataRow(new[] { "--diffaug", "color,translation,cutout", "--lecam", "0.3", "--lecam-start", "1" })]
    public void TwoProcessesTakeTheStepsOfOneProcessWithTheWholeBatch(string[] extra)
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        string dir0 = runs["rank0"], dir1 = runs["rank1"];
        var port = CliProcess.FreePort();
        string[] options = ["--threads", "1", "--h-flip", .. extra];
        // Each rank its own run folder, as on two machines: rank 1 must write nothing into its own.
        using var r0 = CliProcess.Start(TinyRun(images, dir0, 3, options), CliProcess.RankEnvironment(port, 0, 2));
        using var r1 = CliProcess.Start(TinyRun(images, dir1, 3, options), CliProcess.RankEnvironment(port, 1, 2));
        Assert.AreEqual(0, r0.WaitForExit(Limit), r0.Describe() + r1.Describe());
        Assert.AreEqual(0, r1.WaitForExit(Limit), r1.Describe());
        Assert.IsFalse(Directory.Exists(dir1), "rank 1 must not write anything");
        Assert.AreEqual("", r1.Stdout.Trim(), "rank 1 prints nothing");
        StringAssert.Contains(r0.Text, "data-parallel: 2 processes, global batch 4 (2 per process), cross-replica BN on");

        // One process, batch 4 (the global batch), the same configuration, step by step.
        var config = RunConfig.Load(Path.Combine(dir0, RunConfig.FileName));
        Assert.AreEqual(4, config.Train.BatchSize);
        var dataset = Datasets.Open(images, config.Model.Resolution, new DatasetOptions());
        using var source = new ShuffledBatchSource(dataset, new BatchSourceOptions { Seed = (long)config.Train.Seed, HorizontalFlip = config.Train.HFlip });
        using var single = new BigGanTrainer(config, source, runs["single"]);
        var log = TrainingLog.Read(Path.Combine(dir0, TrainingLog.DefaultFileName)).Select(d => d.RootElement.GetProperty("losses")).ToList();
        Assert.HasCount(3, log);
        for (int step = 1; step <= 3; step++)
        {
            var losses = single.TrainStep();
            // The logged losses are averaged over the ranks: the losses of the global batch.
            AssertClose(losses.DLossReal, log[step - 1].GetProperty("D_loss_real").GetDouble(), $"D loss (real) at step {step}");
            AssertClose(losses.DLossFake, log[step - 1].GetProperty("D_loss_fake").GetDouble(), $"D loss (fake) at step {step}");
            AssertClose(losses.GLoss, log[step - 1].GetProperty("G_loss").GetDouble(), $"G loss at step {step}");
            var checkpoint = Path.Combine(Checkpoint.Folder(dir0), $"step-{step:D9}");
            AssertSameState(single.G, Path.Combine(checkpoint, Checkpoint.GFile), step);
            AssertSameState(single.D, Path.Combine(checkpoint, Checkpoint.DFile), step);
            AssertSameState(single.GEma!, Path.Combine(checkpoint, Checkpoint.GEmaFile), step);
        }
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        if (Math.Abs(expected - actual) > 1e-4 * Math.Max(1, Math.Abs(expected)))
            Assert.Fail($"{what}: one process {expected}, two processes {actual}");
    }

    // Parameters and buffers (BN statistics, spectral-norm vectors). Between one process with 1 and with 2 threads
    // they differ by up to ~5e-6 here; one step moves weights by ~1e-4 (a wrong gradient scale shows at once).
    private static void AssertSameState(torch.nn.Module module, string file, int step)
    {
        using var scope = NewDisposeScope();
        var saved = BigGan.Training.IO.Safetensors.Load(file).tensors;
        foreach (var (name, t) in module.state_dict())
        {
            Assert.IsTrue(saved.TryGetValue(name, out var s), $"{file} lacks {name}");
            var diff = t.to(ScalarType.Float64).sub(s.to(ScalarType.Float64)).abs().max().ToDouble();
            if (diff > 2e-5) Assert.Fail($"step {step}: {Path.GetFileName(file)} {name} differs by {diff} between one process (batch 4) and two (2 each)");
        }
    }

    [TestMethod]
    public void NprocStartsLocalWorkersAndOnlyRankZeroWrites()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var dir = runs["run"];
        var classifier = runs["cnn.safetensors"];
        using (var cnn = new BigGan.Training.Evaluation.SmallCnnClassifier(new(1, 32, 10, Width: 4, FeatureDimension: 8))) cnn.Save(classifier);
        using var launcher = CliProcess.Start([.. TinyRun(images, dir, 2), "--nproc", "2", "--eval-every", "1", "--eval-classifier", classifier, "--eval-per-class", "2"]);
        Assert.AreEqual(0, launcher.WaitForExit(Limit), launcher.Describe());
        StringAssert.Contains(launcher.Stdout, "launcher: 2 workers on 127.0.0.1:");
        StringAssert.Contains(launcher.Text, "data-parallel: 2 processes");
        StringAssert.Contains(launcher.Text, "done: step 2");
        Assert.IsFalse(launcher.Output.Contains("[rank 1]"), "rank 1 prints nothing when all goes well:\n" + launcher.Describe());

        // One writer: one log line per step and one per evaluation, one sample sheet per checkpoint (regular and best).
        var log = TrainingLog.Read(Path.Combine(dir, TrainingLog.DefaultFileName)).ToList();
        Assert.HasCount(2 + 2, log);
        Assert.AreEqual(2, log.Count(d => d.RootElement.ToString().Contains("\"fid\"", StringComparison.Ordinal)), "rank 0 scored G_ema at both steps");
        StringAssert.Contains(launcher.Text, "step 2: FID");
        Assert.IsNotNull(Checkpoint.Best(dir), "the best checkpoint by FID is kept");
        Assert.HasCount(2, Directory.GetFiles(Path.Combine(dir, "samples")));
        Assert.HasCount(2, Checkpoint.List(dir, CheckpointKind.Regular));
        // --threads defaults to cores / nproc in each worker (and is saved with the configuration).
        var config = RunConfig.Load(Path.Combine(dir, RunConfig.FileName));
        Assert.AreEqual(Math.Max(1, Environment.ProcessorCount / 2), config.Train.Threads);
    }

    [TestMethod]
    public void ADataParallelRunResumesBitForBit()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        string straight = runs["straight"], split = runs["split"];
        foreach (var (dir, iterations) in new[] { (straight, 3L), (split, 2L) })
        {
            using var p = CliProcess.Start([.. TinyRun(images, dir, iterations, "--threads", "1"), "--nproc", "2"]);
            Assert.AreEqual(0, p.WaitForExit(Limit), p.Describe());
        }
        using (var p = CliProcess.Start(["train", "--resume", split, "--iterations", "3", "--nproc", "2"]))
            Assert.AreEqual(0, p.WaitForExit(Limit), p.Describe());

        var a = Checkpoint.Latest(straight)!;
        var b = Checkpoint.Latest(split)!;
        Assert.AreEqual(3, b.Step);
        foreach (var file in new[] { Checkpoint.GFile, Checkpoint.DFile, Checkpoint.GEmaFile })
        {
            using var scope = NewDisposeScope();
            var x = BigGan.Training.IO.Safetensors.Load(a.File(file)).tensors;
            var y = BigGan.Training.IO.Safetensors.Load(b.File(file)).tensors;
            foreach (var (name, t) in x)
                CollectionAssert.AreEqual(t.to(ScalarType.Float64).ToArray<double>(), y[name].to(ScalarType.Float64).ToArray<double>(),
                    $"{file} {name} differs between the straight run and the resumed one");
        }
        Assert.AreEqual(3, TrainingLog.Read(Path.Combine(split, TrainingLog.DefaultFileName)).Count());
    }

    [TestMethod]
    public void AKilledWorkerStopsTheLaunchWithAClearError()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        using var launcher = CliProcess.Start([.. TinyRun(images, runs["run"], 1_000_000), "--nproc", "2", "--threads", "1"]);
        Assert.IsTrue(launcher.WaitForOutput("checkpoint at step 1", Limit), "training did not start:\n" + launcher.Describe());
        var pids = WorkerPids(launcher);
        CliProcess.KillPid(pids[1]);

        Assert.AreNotEqual(0, launcher.WaitForExit(TimeSpan.FromSeconds(30)));
        StringAssert.Contains(launcher.Stderr, $"worker rank 1 (pid {pids[1]}) was killed by signal 9 (SIGKILL)");
        StringAssert.Contains(launcher.Stderr, "rank 0");
        Assert.IsFalse(CliProcess.IsAlive(pids[0]), "rank 0 must be stopped too");
    }

    [TestMethod]
    public void WorkersStopWhenTheLauncherDies()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        using var launcher = CliProcess.Start([.. TinyRun(images, runs["run"], 1_000_000), "--nproc", "2", "--threads", "1"]);
        Assert.IsTrue(launcher.WaitForOutput("checkpoint at step 1", Limit), "training did not start:\n" + launcher.Describe());
        var pids = WorkerPids(launcher);
        CliProcess.KillPid(launcher.Pid);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (pids.Any(CliProcess.IsAlive) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        try
        {
            Assert.IsFalse(pids.Any(CliProcess.IsAlive), "workers kept running after their launcher was killed");
        }
        finally
        {
            foreach (var pid in pids) CliProcess.KillPid(pid);
        }
    }

    [TestMethod]
    public void ReplicasThatDisagreeStopWithAClearError()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var port = CliProcess.FreePort();
        // A different seed on rank 1: the weights are broadcast from rank 0, but its generators and data order are not.
        using var r0 = CliProcess.Start(TinyRun(images, runs["a"], 2, "--threads", "1"), CliProcess.RankEnvironment(port, 0, 2));
        using var r1 = CliProcess.Start(TinyRun(images, runs["b"], 2, 4, "--threads", "1"), CliProcess.RankEnvironment(port, 1, 2));
        foreach (var r in new[] { r0, r1 })
        {
            Assert.AreEqual(1, r.WaitForExit(Limit), r.Describe());
            StringAssert.Contains(r.Text, "data-parallel replicas disagree at the start (step 0): random generators on rank(s) 1; data position on rank(s) 1");
        }
        Assert.IsNull(Checkpoint.Latest(runs["a"]), "nothing may be saved from replicas that disagree");
    }

    [TestMethod]
    public void AGlobalBatchThatDoesNotSplitIsRefusedBeforeStarting()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DataParallel.CheckBatchSizes(new TrainConfig { BatchSize = 6 }, 4));
        StringAssert.Contains(e.Message, "BatchSize = 6 does not divide by the number of processes (4)");
        StringAssert.Contains(e.Message, "multiple of 4 such as 8");
        DataParallel.CheckBatchSizes(new TrainConfig { BatchSize = 8 }, 4);
        Assert.ThrowsExactly<ArgumentException>(() => DataParallel.CheckBatchSizes(new TrainConfig { BatchSize = 8, GBatchSize = 10 }, 4));

        using var data = NewData(out var images);
        using var runs = new TempFolder();
        using var launcher = CliProcess.Start(["train", "--data", images, "--out", runs["run"], "--batch-size", "6", "--nproc", "4"]);
        Assert.AreEqual(1, launcher.WaitForExit(Limit));
        StringAssert.Contains(launcher.Text, "BatchSize = 6 does not divide by the number of processes (4)");
        Assert.IsFalse(launcher.Output.Contains("launcher:"), "no worker may be started");
    }

    [TestMethod]
    public void ABatchSourceShardedForAnotherWorldSizeIsRefused()
    {
        using var data = new ShuffledBatchSource(new ToyDataset(), new BatchSourceOptions { ShardCount = 2, ShardIndex = 0, PrefetchBatches = 0 });
        using var runs = new TempFolder();
        var config = new RunConfig(BigGan.Training.Model.ModelConfig.Cifar(numClasses: 4, channels: 1, ch: 4) with { DimZ = 8 }, new TrainConfig { BatchSize = 4 });
        var e = Assert.ThrowsExactly<ArgumentException>(() => new BigGanTrainer(config, data, runs["run"]));
        StringAssert.Contains(e.Message, "sharded for 2 processes but this run has 1");
    }

    [TestMethod]
    public void NprocInsideAJobIsRefused()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        using var p = CliProcess.Start(["train", "--data", images, "--out", runs["run"], "--nproc", "2"], CliProcess.RankEnvironment(CliProcess.FreePort(), 1, 2));
        Assert.AreEqual(1, p.WaitForExit(Limit));
        StringAssert.Contains(p.Text, "already rank 1 of a job of 2");
    }

    /// <summary>The worker process ids from the launcher's first line ("launcher: 2 workers on ... (pids a, b)").</summary>
    private static int[] WorkerPids(CliProcess launcher)
    {
        var line = launcher.Stdout.Split('\n').First(l => l.StartsWith("launcher: ", StringComparison.Ordinal));
        var inner = line[(line.IndexOf("(pids ", StringComparison.Ordinal) + 6)..line.LastIndexOf(')')];
        return inner.Split(", ").Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }
}
