using BigGan.Training.Tests.Support;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class CheckpointTests
{
    private string _runDir = "";

    [TestInitialize]
    public void CreateRunDir() => _runDir = Path.Combine(Path.GetTempPath(), "bgn-ckpt-" + Guid.NewGuid().ToString("N"));

    [TestCleanup]
    public void DeleteRunDir()
    {
        Checkpoint.BeforeFileWrite = null;
        if (Directory.Exists(_runDir)) Directory.Delete(_runDir, recursive: true);
    }

    /// <summary>A toy GAN run using every piece: both optimizers, EMA, ortho reg, the default RNG, a named RNG and a data source.</summary>
    private sealed class ToyRun : IDisposable
    {
        public readonly TinyStack G, D, GEma;
        public readonly Adam GOpt, DOpt;
        public readonly Ema Ema;
        public readonly Generator ZRng;
        public readonly CountingSource Data = new();
        public readonly TrainingState State;

        public ToyRun(ulong seed, string config = """{"g-lr":0.01,"d-steps":1}""", long gHidden = 4)
        {
            G = new TinyStack(3, gHidden, 2, seed);
            D = new TinyStack(2, 4, 1, seed + 10);
            GEma = new TinyStack(3, gHidden, 2, seed + 20);
            GOpt = new Adam(G.parameters(), lr: 1e-2, beta1: 0, beta2: 0.999);
            DOpt = new Adam(D.parameters(), lr: 1e-2, beta1: 0, beta2: 0.999);
            Ema = new Ema(G, GEma, decay: 0.9, startStep: 2);
            ZRng = new Generator(seed + 30);
            State = new TrainingState
            {
                G = G, D = D, GEma = GEma, GOptimizer = GOpt, DOptimizer = DOpt, Data = Data,
                Rngs = new Dictionary<string, Generator> { ["z"] = ZRng },
                ConfigJson = config,
            };
        }

        public void Step()
        {
            using var scope = NewDisposeScope();
            RequiresGrad.Toggle(trained: D, frozen: G);
            DOpt.zero_grad();
            var z = randn(new long[] { 4, 3 }, generator: ZRng);
            var (images, _) = Data.Next(4);
            var real = images.view(4, 4).narrow(1, 0, 2);
            Tensor fake;
            using (no_grad()) fake = G.forward(z);
            var (lossReal, lossFake) = Losses.Discriminator(D.forward(real), D.forward(fake));
            (lossReal + lossFake).backward();
            OrthogonalRegularization.Apply(D, 1e-3);
            DOpt.step();

            RequiresGrad.Toggle(trained: G, frozen: D);
            GOpt.zero_grad();
            var z2 = randn(new long[] { 4, 3 });
            Losses.Generator(D.forward(G.forward(z2))).backward();
            OrthogonalRegularization.Apply(G, 1e-3);
            GOpt.step();
            State.Step++;
            Ema.Update(State.Step);
        }

        public void Dispose()
        {
            G.Dispose(); D.Dispose(); GEma.Dispose(); GOpt.Dispose(); DOpt.Dispose(); ZRng.Dispose();
        }
    }

    private static void AssertSame(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b, string what)
    {
        CollectionAssert.AreEqual(a.Keys.ToArray(), b.Keys.ToArray(), what);
        foreach (var (k, t) in a)
        {
            CollectionAssert.AreEqual(t.shape, b[k].shape, $"{what} {k}");
            CollectionAssert.AreEqual(t.bytes.ToArray(), b[k].bytes.ToArray(), $"{what} {k} differs");
        }
    }

    private static void AssertSameRun(ToyRun a, ToyRun b)
    {
        using var scope = NewDisposeScope();
        AssertSame(a.G.state_dict(), b.G.state_dict(), "G");
        AssertSame(a.D.state_dict(), b.D.state_dict(), "D");
        AssertSame(a.GEma.state_dict(), b.GEma.state_dict(), "G_ema");
        AssertSame(AdamState.Save(a.GOpt), AdamState.Save(b.GOpt), "G_optim");
        AssertSame(AdamState.Save(a.DOpt), AdamState.Save(b.DOpt), "D_optim");
        Assert.AreEqual(a.State.Step, b.State.Step);
        Assert.AreEqual(a.Data.Position, b.Data.Position);
    }

    [TestMethod]
    public void RoundTripRestoresNetworksOptimizersRngsDataAndMetadata()
    {
        set_num_threads(1);
        manual_seed(7);
        using var a = new ToyRun(seed: 1);
        for (int i = 0; i < 3; i++) a.Step();
        a.State.Metadata["note"] = "hello";
        var saved = Checkpoint.Save(_runDir, a.State);

        Assert.AreEqual(3, saved.Step);
        Assert.AreEqual(CheckpointKind.Regular, saved.Kind);
        Assert.AreEqual("pos=3", saved.DataState);
        Assert.AreEqual("hello", saved.Metadata["note"]);
        foreach (var f in new[] { Checkpoint.GFile, Checkpoint.DFile, Checkpoint.GEmaFile, Checkpoint.StateFile })
            Assert.IsTrue(File.Exists(saved.File(f)), f);
        // every network file is self-describing
        var emaMeta = BigGan.Training.IO.Safetensors.ReadMetadata(saved.File(Checkpoint.GEmaFile));
        Assert.AreEqual("3", emaMeta[Checkpoint.Keys.Step]);
        Assert.AreEqual(a.State.ConfigJson, emaMeta[Checkpoint.Keys.Config]);

        // what both generators would draw next after the save
        using var scope = NewDisposeScope();
        var nextDefault = randn(new long[] { 6 }).ToArray<float>();
        var nextZ = randn(new long[] { 6 }, generator: a.ZRng).ToArray<float>();

        manual_seed(999); // the load must restore the default generator
        using var b = new ToyRun(seed: 50);
        var loaded = Checkpoint.LoadLatest(_runDir, b.State);
        Assert.AreEqual(saved.Path, loaded.Checkpoint.Path);
        Assert.AreEqual(0, loaded.ConfigDifferences.Count);
        AssertSameRun(a, b);
        CollectionAssert.AreEqual(nextDefault, randn(new long[] { 6 }).ToArray<float>(), "default generator");
        CollectionAssert.AreEqual(nextZ, randn(new long[] { 6 }, generator: b.ZRng).ToArray<float>(), "named generator");

        // Adam state continues identically: one more step on both gives the same weights
        manual_seed(4);
        a.Step();
        manual_seed(4);
        b.Step();
        AssertSameRun(a, b);
    }

    [TestMethod]
    public void ResumeIsBitwiseIdenticalToAStraightRun()
    {
        set_num_threads(1);
        manual_seed(11);
        using var straight = new ToyRun(seed: 1);
        for (int i = 0; i < 6; i++) straight.Step();

        manual_seed(11);
        using (var first = new ToyRun(seed: 1))
        {
            for (int i = 0; i < 3; i++) first.Step();
            Checkpoint.Save(_runDir, first.State);
        }
        manual_seed(12345);
        using var resumed = new ToyRun(seed: 77);
        Checkpoint.LoadLatest(_runDir, resumed.State);
        for (int i = 0; i < 3; i++) resumed.Step();

        AssertSameRun(straight, resumed);
    }

    [TestMethod]
    public void RotationKeepsTheLastKCheckpoints()
    {
        using var a = new ToyRun(seed: 1);
        for (int i = 1; i <= 5; i++)
        {
            a.State.Step = i * 10;
            Checkpoint.Save(_runDir, a.State, keep: 2);
        }
        CollectionAssert.AreEqual(new long[] { 40, 50 }, Checkpoint.List(_runDir).Select(c => c.Step).ToArray());
        CollectionAssert.AreEqual(new[] { "step-000000040", "step-000000050" },
            Directory.GetDirectories(Checkpoint.Folder(_runDir)).Select(Path.GetFileName).Order().ToArray(), "no leftovers");
        Assert.AreEqual(50, Checkpoint.Latest(_runDir)!.Step);
    }

    [TestMethod]
    public void AFailureMidSaveLeavesThePreviousCheckpointLoadableAndNoPartialFiles()
    {
        using var a = new ToyRun(seed: 1);
        a.Step();
        var good = Checkpoint.Save(_runDir, a.State, keep: 1);
        a.Step();
        foreach (var failing in new[] { Checkpoint.DFile, Checkpoint.StateFile })
        {
            Checkpoint.BeforeFileWrite = path =>
            {
                if (Path.GetFileName(path) == failing) throw new IOException("simulated crash: disk full");
            };
            var e = Assert.ThrowsExactly<IOException>(() => Checkpoint.Save(_runDir, a.State, keep: 1));
            StringAssert.Contains(e.Message, "simulated crash");
            Checkpoint.BeforeFileWrite = null;

            Assert.AreEqual(good.Path, Checkpoint.Latest(_runDir)!.Path);
            CollectionAssert.AreEqual(new[] { Path.GetFileName(good.Path) },
                Directory.GetDirectories(Checkpoint.Folder(_runDir)).Select(Path.GetFileName).ToArray(), "no temporary folder is left");
            Assert.AreEqual(0, Directory.GetFiles(Checkpoint.Folder(_runDir), "*", SearchOption.AllDirectories).Count(f => f.EndsWith(".tmp", StringComparison.Ordinal)));
        }
        using var b = new ToyRun(seed: 9);
        Assert.AreEqual(1, Checkpoint.LoadLatest(_runDir, b.State).Checkpoint.Step);
    }

    [TestMethod]
    public void LeftoversOfAKilledSaveAreIgnoredAndCleanedUp()
    {
        using var a = new ToyRun(seed: 1);
        a.State.Step = 1;
        var good = Checkpoint.Save(_runDir, a.State);
        // a process killed mid-save leaves a hidden, incomplete temporary folder
        var leftover = Path.Combine(Checkpoint.Folder(_runDir), ".tmp-step-000000002-0123456789abcdef0123456789abcdef");
        Directory.CreateDirectory(leftover);
        File.WriteAllBytes(Path.Combine(leftover, Checkpoint.GFile), [1, 2, 3]);

        Assert.AreEqual(good.Path, Checkpoint.Latest(_runDir)!.Path);
        a.State.Step = 3;
        Checkpoint.Save(_runDir, a.State);
        Assert.IsFalse(Directory.Exists(leftover));
    }

    [TestMethod]
    public void SavingTheSameStepAgainReplacesIt()
    {
        using var a = new ToyRun(seed: 1);
        a.State.Step = 4;
        Checkpoint.Save(_runDir, a.State);
        a.State.Metadata["again"] = "yes";
        var second = Checkpoint.Save(_runDir, a.State);
        Assert.AreEqual("yes", Checkpoint.Latest(_runDir)!.Metadata["again"]);
        Assert.AreEqual(1, Directory.GetDirectories(Checkpoint.Folder(_runDir)).Length);
        Assert.AreEqual(second.Path, Checkpoint.Latest(_runDir)!.Path);
    }

    [TestMethod]
    public void LoadingIntoADifferentArchitectureFailsNamingTheKeysAndChangesNothing()
    {
        using var a = new ToyRun(seed: 1);
        a.Step();
        var saved = Checkpoint.Save(_runDir, a.State);
        using var wider = new ToyRun(seed: 2, gHidden: 5);
        using var scope = NewDisposeScope();
        var before = wider.G.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.bytes.ToArray());
        var e = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.LoadLatest(_runDir, wider.State));
        StringAssert.Contains(e.Message, saved.File(Checkpoint.GFile));
        StringAssert.Contains(e.Message, "a.weight (checkpoint [4, 3], model [5, 3])");
        StringAssert.Contains(e.Message, "b.weight (checkpoint [2, 4], model [2, 5])");
        foreach (var (k, t) in wider.G.state_dict()) CollectionAssert.AreEqual(before[k], t.bytes.ToArray(), $"{k} was changed by a failed load");
        Assert.AreEqual(0, wider.State.Step);
        Assert.AreEqual(0, wider.Data.Position);

        // a network with other names: missing and unexpected keys are both listed
        using var other = new TinyNet(3, 2, seed: 1);
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.LoadModule(saved.Path, Checkpoint.GEmaFile, other));
        StringAssert.Contains(e2.Message, "missing in the checkpoint: weight, bias, running, count");
        StringAssert.Contains(e2.Message, "not in the model: a.weight");
    }

    [TestMethod]
    public void MissingFilesAndFoldersGiveClearErrors()
    {
        using var a = new ToyRun(seed: 1);
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.LoadLatest(_runDir, a.State));
        StringAssert.Contains(e.Message, "no checkpoint found");
        var missingDir = Path.Combine(_runDir, "nope");
        StringAssert.Contains(Assert.ThrowsExactly<DirectoryNotFoundException>(() => Checkpoint.Load(missingDir, a.State)).Message, missingDir);

        var saved = Checkpoint.Save(_runDir, a.State);
        File.Delete(saved.File(Checkpoint.GEmaFile));
        var e2 = Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.Load(saved.Path, a.State));
        StringAssert.Contains(e2.Message, saved.File(Checkpoint.GEmaFile));
        File.Delete(saved.File(Checkpoint.DFile));
        var e3 = Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.Read(saved.Path));
        StringAssert.Contains(e3.Message, saved.File(Checkpoint.DFile));
    }

    [TestMethod]
    public void ConfigDifferencesAreReportedAndCanBeMadeAnError()
    {
        using var a = new ToyRun(seed: 1, config: """{"g-lr":0.01,"d-steps":1,"g-betas":[0,0.999]}""");
        Checkpoint.Save(_runDir, a.State);
        using var b = new ToyRun(seed: 2, config: """{ "d-steps": 1, "g-lr": 0.02, "g-betas": [0, 0.99], "seed": 3 }""");
        var loaded = Checkpoint.LoadLatest(_runDir, b.State);
        CollectionAssert.AreEqual(new[]
        {
            "g-betas: saved [0,0.999], now [0,0.99]",
            "g-lr: saved 0.01, now 0.02",
            "seed: saved (absent), now 3",
        }, loaded.ConfigDifferences.ToArray());
        var e = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.LoadLatest(_runDir, b.State, allowConfigChanges: false));
        StringAssert.Contains(e.Message, "g-lr: saved 0.01, now 0.02");
        using var c = new ToyRun(seed: 2, config: """{ "d-steps": 1,   "g-lr": 0.01, "g-betas": [0, 0.999] }""");
        Assert.AreEqual(0, Checkpoint.LoadLatest(_runDir, c.State, allowConfigChanges: false).ConfigDifferences.Count, "formatting and order do not matter");
    }

    [TestMethod]
    public void BestSlotKeepsOnlyImprovements()
    {
        using var a = new ToyRun(seed: 1);
        a.State.Step = 10;
        Assert.IsNotNull(Checkpoint.SaveBest(_runDir, a.State, "fid", 50.0));
        a.State.Step = 20;
        Assert.IsNull(Checkpoint.SaveBest(_runDir, a.State, "fid", 60.0), "worse FID is not saved");
        a.State.Step = 30;
        var best = Checkpoint.SaveBest(_runDir, a.State, "fid", 40.0);
        Assert.IsNotNull(best);
        Assert.AreEqual(("fid", 40.0, false), best.Metric);
        Assert.AreEqual(30, Checkpoint.Best(_runDir)!.Step);
        Assert.AreEqual(1, Checkpoint.List(_runDir, CheckpointKind.Best).Count);
        Assert.IsNull(Checkpoint.Latest(_runDir), "best checkpoints are not regular ones");
        a.State.Step = 40;
        Checkpoint.Save(_runDir, a.State);
        Assert.AreEqual(2, Checkpoint.List(_runDir).Count, "regular rotation leaves the best slot alone");
        using var b = new ToyRun(seed: 3);
        Assert.AreEqual(30, Checkpoint.Load(Checkpoint.Best(_runDir)!.Path, b.State).Checkpoint.Step);
    }

    [TestMethod]
    public void SaveLoadAndTheOtherPiecesLeakNoTensors()
    {
        using var a = new ToyRun(seed: 1);
        a.Step();
        Checkpoint.Save(_runDir, a.State);
        Checkpoint.LoadLatest(_runDir, a.State);
        var before = LiveTensors.Now();
        for (int i = 0; i < 3; i++)
        {
            a.Step();
            Checkpoint.Save(_runDir, a.State);
            Checkpoint.LoadLatest(_runDir, a.State);
            Checkpoint.SaveBest(_runDir, a.State, "fid", 100 - i);
        }
        LiveTensors.AssertUnchangedSince(before, "three steps with save, load and save-best");
    }

    [TestMethod]
    public void ARunWithoutEmaOrDataOrExtraRngsRoundTrips()
    {
        using var g = new TinyNet(3, 2, seed: 1);
        using var d = new TinyNet(2, 1, seed: 2);
        using var gOpt = new Adam(g.parameters());
        using var dOpt = new Adam(d.parameters());
        var state = new TrainingState { G = g, D = d, GOptimizer = gOpt, DOptimizer = dOpt, IncludeDefaultRng = false, Step = 5 };
        var saved = Checkpoint.Save(_runDir, state);
        Assert.IsFalse(File.Exists(saved.File(Checkpoint.GEmaFile)));
        Assert.IsNull(saved.DataState);
        state.Step = 0;
        Assert.AreEqual(5, Checkpoint.LoadLatest(_runDir, state).Checkpoint.Step);
        Assert.AreEqual(5, state.Step);
    }
}
