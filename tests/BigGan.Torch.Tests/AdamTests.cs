using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>optim.Adam against torch.optim.Adam 1.13 (values pasted from /usr/bin/python3) and exact resumes from its state.</summary>
[TestClass]
public sealed class AdamTests
{
    private int _threads;

    [TestInitialize]
    public void OneThread()
    {
        _threads = get_num_threads();
        set_num_threads(1);
    }

    [TestCleanup]
    public void Restore() => set_num_threads(_threads);

    private sealed record Problem(nn.Parameter w, nn.Parameter m) : IDisposable
    {
        public static Problem Create() => new(new nn.Parameter(F([0.5f, -1, 2])), new nn.Parameter(F([0.1f, 0.2f, -0.3f, 0.4f], 2, 2)));

        // loss = ((w - t)**2 * k).sum() + (m.tanh() * k2).sum()
        public void Step(optim.Adam opt)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = (w - F([1, 2, -1])).pow(2).mul(F([1, 0.5f, 2])).sum() + m.tanh().mul(F([1, -1, 0.5f, 2], 2, 2)).sum();
            loss.backward();
            opt.step();
        }

        public void Dispose() { w.Dispose(); m.Dispose(); }
    }

    // Bitwise equal on the machine the values were taken on; the 2-ulp slack covers other CPUs' vectorised tanh.
    private static void Exact(float[] expected, Tensor actual, string what)
    {
        var got = actual.data<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], got[i], Math.Abs(expected[i]) * 2.5e-7f, $"{what}[{i}]: expected {expected[i]:R}, got {got[i]:R}");
    }

    /*
     w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True); m = torch.tensor([[0.1, 0.2], [-0.3, 0.4]], requires_grad=True)
     opt = torch.optim.Adam([w, m], lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd)
     5 x (zero_grad; loss = ((w - t).pow(2) * k).sum() + (m.tanh() * k2).sum(); backward; step), printed with "%.9g"
    */
    [TestMethod]
    [DataRow(0.0, new float[] { 0.973011792f, -0.501648068f, 1.50164807f }, new float[] { -0.399452567f, 0.696362436f, -0.795208037f, -0.101334251f },
        new float[] { -0.232051849f, -1.13816404f, 4.55265617f }, new float[] { 0.021536123f, 0.38473472f, 6.15575552f })]
    [DataRow(0.1, new float[] { 0.966627598f, -0.501779199f, 1.5016644f }, new float[] { -0.398968846f, 0.69532001f, -0.792089641f, -0.101208843f },
        new float[] { -0.203502923f, -1.17008901f, 4.62552643f }, new float[] { 0.0180573165f, 0.407152772f, 6.35543537f })]
    public void FiveStepsMatchPyTorch(double weightDecay, float[] w, float[] m, float[] expAvg, float[] expAvgSq)
    {
        using var scope = NewDisposeScope();
        using var p = Problem.Create();
        using var opt = new optim.Adam([p.w, p.m], lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: weightDecay);
        for (int i = 0; i < 5; i++) p.Step(opt);
        Exact(w, p.w, "w");
        Exact(m, p.m, "m");
        var state = opt.state_dict();
        Exact(expAvg, state["state.0.exp_avg"], "exp_avg");
        Exact(expAvgSq, state["state.0.exp_avg_sq"], "exp_avg_sq");
        Assert.AreEqual(5L, state["state.0.step"].item<long>());
    }

    [TestMethod]
    public void StateDictResumeIsBitwiseIdentical()
    {
        using var scope = NewDisposeScope();
        using var a = Problem.Create();
        using var optA = new optim.Adam([a.w, a.m], lr: 0.05, weight_decay: 0.01);
        for (int i = 0; i < 3; i++) a.Step(optA);

        // Snapshot parameters and optimizer state through a safetensors file, as a checkpoint would.
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "opt.safetensors");
            var snapshot = new Dictionary<string, Tensor>(optA.state_dict()) { ["w"] = a.w.detach(), ["m"] = a.m.detach() };
            safetensors.save_file(snapshot, path);
            var (loaded, _) = safetensors.load_file(path);

            using var b = new Problem(new nn.Parameter(loaded["w"]), new nn.Parameter(loaded["m"]));
            using var optB = new optim.Adam([b.w, b.m], lr: 0.05, weight_decay: 0.01);
            loaded.Remove("w");
            loaded.Remove("m");
            optB.load_state_dict(loaded);
            for (int i = 0; i < 4; i++) { a.Step(optA); b.Step(optB); }
            CollectionAssert.AreEqual(a.w.bytes(), b.w.bytes(), "w after resuming");
            CollectionAssert.AreEqual(a.m.bytes(), b.m.bytes(), "m after resuming");
            foreach (var (k, v) in optA.state_dict())
                CollectionAssert.AreEqual(v.bytes(), optB.state_dict()[k].bytes(), k);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ParametersWithoutGradientsAreSkipped()
    {
        using var scope = NewDisposeScope();
        using var p = Problem.Create();
        using var opt = new optim.Adam([p.w, p.m]);
        var mBefore = p.m.data<float>();
        opt.zero_grad();
        (p.w * p.w).sum().backward();
        opt.step();
        Equal(mBefore, p.m, "m had no gradient");
        Assert.IsFalse(opt.state_dict().ContainsKey("state.1.step"));
        // first Adam step moves each element by lr against the gradient's sign
        Close([0.5 - 1e-3, -1 + 1e-3, 2 - 1e-3], p.w, 1e-6);
    }

    [TestMethod]
    public void RejectsBadHyperparametersAndState()
    {
        using var scope = NewDisposeScope();
        using var p = Problem.Create();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new optim.Adam([p.w], lr: -1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new optim.Adam([p.w], beta1: 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new optim.Adam([p.w], beta2: -0.1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new optim.Adam([p.w], eps: -1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new optim.Adam([p.w], weight_decay: double.NaN));
        using var opt = new optim.Adam([p.w, p.m]);
        Assert.ThrowsExactly<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["state.5.step"] = tensor(1L) }));
        Assert.ThrowsExactly<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["state.0.momentum"] = tensor(1L) }));
        Assert.ThrowsExactly<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["state.0.step"] = tensor(1L), ["state.0.exp_avg"] = zeros(2), ["state.0.exp_avg_sq"] = zeros(3) }));
        Assert.ThrowsExactly<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["state.0.step"] = tensor(1L) }), "incomplete");
    }
}
