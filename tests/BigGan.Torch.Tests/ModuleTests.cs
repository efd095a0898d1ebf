using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>nn.Module registration, naming, modes, dtype moves, strict state_dict loading; nn.Parameter; nn.init.</summary>
[TestClass]
public sealed class ModuleTests
{
    private sealed class Lin : nn.Module<Tensor, Tensor>
    {
        public readonly nn.Parameter weight, bias;
        public Lin(int i, int o)
        {
            weight = register_parameter("weight", new nn.Parameter(randn([o, i])));
            bias = register_parameter("bias", new nn.Parameter(zeros([o])));
        }
        public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias);
    }

    private sealed class Norm : nn.Module<Tensor, Tensor>
    {
        public readonly nn.Parameter weight;
        public readonly Tensor running_mean, running_var, steps, scratch;
        public Norm(int c)
        {
            weight = register_parameter("weight", new nn.Parameter(ones([c])));
            running_mean = register_buffer("running_mean", zeros([c]));
            running_var = register_buffer("running_var", ones([c]));
            steps = register_buffer("num_batches_tracked", zeros([], int64));
            scratch = register_buffer("scratch", zeros([c]), persistent: false);
        }
        public override Tensor forward(Tensor x) =>
            nn.functional.batch_norm(x, running_mean, running_var, weight, null, training);
    }

    private sealed class Inner : nn.Module<Tensor, Tensor>
    {
        public readonly Norm bn;
        public readonly nn.Parameter gain;
        public Inner() { gain = register_parameter("gain", new nn.Parameter(full([1], 2.0))); bn = register_module("bn", new Norm(3)); }
        public override Tensor forward(Tensor x) => bn.call(x) * gain;
    }

    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        public readonly Lin fc;
        public readonly Inner inner;
        public Net() { fc = register_module("fc", new Lin(2, 3)); inner = register_module("inner", new Inner()); }
        public override Tensor forward(Tensor x) => inner.call(fc.call(x));
    }

    private sealed class BadNames : nn.Module
    {
        public void Add(string name) => register_parameter(name, new nn.Parameter(zeros(1)));
    }

    [TestMethod]
    public void NamesAreDottedAndOrdered()
    {
        using var net = new Net();
        CollectionAssert.AreEqual(new[] { "fc.weight", "fc.bias", "inner.gain", "inner.bn.weight" }, net.named_parameters().Select(p => p.name).ToArray());
        CollectionAssert.AreEqual(new[] { "inner.bn.running_mean", "inner.bn.running_var", "inner.bn.num_batches_tracked", "inner.bn.scratch" },
            net.named_buffers().Select(b => b.name).ToArray());
        CollectionAssert.AreEqual(new[] { "", "fc", "inner", "inner.bn" }, net.named_modules().Select(m => m.name).ToArray());
        CollectionAssert.AreEqual(new[] { "fc", "inner" }, net.named_children().Select(m => m.name).ToArray());
        CollectionAssert.AreEqual(new[] { "gain" }, net.inner.named_parameters(recurse: false).Select(p => p.name).ToArray());
        Assert.AreEqual(6 + 3 + 1 + 3, net.parameter_count());
        Assert.AreSame(net.fc.weight, net.parameters().First());
        CollectionAssert.AreEqual(new[] { "fc.weight", "fc.bias", "inner.gain", "inner.bn.weight", "inner.bn.running_mean", "inner.bn.running_var", "inner.bn.num_batches_tracked" },
            net.state_dict().Keys.ToArray(), "state_dict has parameters and persistent buffers only");
    }

    [TestMethod]
    public void RegistrationRejectsBadAndDuplicateNames()
    {
        using var m = new BadNames();
        m.Add("a");
        Assert.ThrowsExactly<ArgumentException>(() => m.Add("a"));
        Assert.ThrowsExactly<ArgumentException>(() => m.Add("b.c"));
        Assert.ThrowsExactly<ArgumentException>(() => m.Add(""));
    }

    [TestMethod]
    public void TrainAndEvalRecurse()
    {
        using var net = new Net();
        Assert.IsTrue(net.modules().All(m => m.training));
        Assert.AreSame(net, net.eval());
        Assert.IsTrue(net.modules().All(m => !m.training));
        net.inner.train();
        Assert.IsFalse(net.training);
        Assert.IsTrue(net.inner.bn.training, "train() reaches the submodules of the module it is called on");
        net.train();
        Assert.IsTrue(net.modules().All(m => m.training));
    }

    [TestMethod]
    public void ForwardUsesModeAndBuffers()
    {
        using var scope = NewDisposeScope();
        using var net = new Net();
        var x = randn([4, 2]);
        _ = net.call(x);
        Assert.IsTrue(net.inner.bn.running_mean.abs().sum().item<float>() > 0, "training updates the running mean");
        net.eval();
        var before = net.inner.bn.running_mean.clone();
        _ = net.call(x);
        Equal(before.data<float>(), net.inner.bn.running_mean, "eval leaves it alone");
    }

    [TestMethod]
    public void ZeroGradClearsEveryParameter()
    {
        using var scope = NewDisposeScope();
        using var net = new Net();
        net.call(randn([4, 2])).sum().backward();
        Assert.IsTrue(net.parameters().All(p => p.grad is not null));
        net.zero_grad();
        Assert.IsTrue(net.parameters().All(p => p.grad is null));
    }

    [TestMethod]
    public void ToDtypeConvertsFloatsInPlaceAndKeepsIdentity()
    {
        using var scope = NewDisposeScope();
        using var net = new Net();
        var w = net.fc.weight;
        var values = w.data<float>();
        Assert.AreSame(net, net.to(float64));
        Assert.AreSame(w, net.fc.weight);
        Assert.AreEqual(float64, w.dtype);
        Assert.IsTrue(w.requires_grad && w.is_leaf, "still a trainable leaf");
        Close(values.Select(v => (double)v).ToArray(), w, 0);
        Assert.AreEqual(float64, net.inner.bn.running_var.dtype);
        Assert.AreEqual(float64, net.inner.bn.scratch.dtype);
        Assert.AreEqual(int64, net.inner.bn.steps.dtype, "integer buffers keep their type");
        var y = net.call(randn([4, 2], float64));
        Assert.AreEqual(float64, y.dtype);
        y.sum().backward();
        Assert.AreEqual(float64, w.grad!.dtype);
        net.to(Device.CPU);
        Assert.AreEqual(Device.CPU, w.device);
    }

    [TestMethod]
    public void StateDictRoundTripsBetweenModules()
    {
        using var scope = NewDisposeScope();
        using var a = new Net();
        using var b = new Net();
        a.inner.bn.running_mean.fill_(0.5);
        var sd = a.state_dict();
        var (missing, unexpected) = b.load_state_dict(sd);
        Assert.IsEmpty(missing);
        Assert.IsEmpty(unexpected);
        foreach (var (k, v) in a.state_dict())
            CollectionAssert.AreEqual(v.bytes(), b.state_dict()[k].bytes(), k);
        // state_dict entries are detached aliases: they see later changes and carry no autograd history.
        Assert.IsFalse(sd["fc.weight"].requires_grad);
        a.fc.bias.detach().fill_(3);
        Assert.AreEqual(3f, sd["fc.bias"][0].item<float>());
    }

    [TestMethod]
    public void StrictLoadReportsEveryProblemAndCopiesNothing()
    {
        using var scope = NewDisposeScope();
        using var net = new Net();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var bad = new Dictionary<string, Tensor>(net.state_dict().Select(kv => KeyValuePair.Create(kv.Key, full(kv.Value.shape, 9, kv.Value.dtype))));
        bad.Remove("inner.gain");
        bad["fc.weight"] = zeros([2, 2]);
        bad["extra.thing"] = zeros([1]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.load_state_dict(bad));
        StringAssert.Contains(e.Message, "missing: inner.gain");
        StringAssert.Contains(e.Message, "unexpected: extra.thing");
        StringAssert.Contains(e.Message, "fc.weight: checkpoint [2, 2], model [3, 2]");
        foreach (var (k, v) in net.state_dict())
            CollectionAssert.AreEqual(before[k].bytes(), v.bytes(), $"{k} must be untouched after a failed load");

        // Non-strict: missing and unexpected keys are returned, the rest is loaded; shape errors still fail.
        bad["fc.weight"] = full([3, 2], 9);
        var (missing, unexpected) = net.load_state_dict(bad, strict: false);
        CollectionAssert.AreEqual(new[] { "inner.gain" }, missing.ToArray());
        CollectionAssert.AreEqual(new[] { "extra.thing" }, unexpected.ToArray());
        Assert.AreEqual(9f, net.fc.weight[0][0].item<float>());
        Assert.AreEqual(2f, net.inner.gain[0].item<float>());
        bad["fc.bias"] = zeros([4]);
        Assert.ThrowsExactly<ArgumentException>(() => net.load_state_dict(bad, strict: false));
    }

    [TestMethod]
    public void DisposeFreesParametersAndBuffers()
    {
        SettleFinalizers();
        var live = torch.native_live_tensors();
        Net net;
        // Built inside a scope: the scope frees the initial values (the parameters own detached copies), and
        // registration takes parameters and buffers out of the scope.
        using (NewDisposeScope()) net = new Net();
        Assert.AreEqual(live + 8, torch.native_live_tensors(), $"4 parameters and 4 buffers (live before {live}, now {torch.native_live_tensors()}, managed {Tensor.LiveCount})");
        using (NewDisposeScope()) Assert.AreEqual(1f, net.inner.bn.weight[0].item<float>(), "the module survived the scope");
        net.Dispose();
        Assert.AreEqual(live, torch.native_live_tensors());
        Assert.IsTrue(net.fc.weight.IsDisposed);
        net.Dispose();
    }

    [TestMethod]
    public void ParameterIsADetachedLeafAndLeavesItsSourceAlone()
    {
        using var scope = NewDisposeScope();
        var src = D([1, 2]).requires_grad_();
        var nonLeaf = src * 2;
        using var p = new nn.Parameter(nonLeaf);
        Assert.IsTrue(p.is_leaf && p.requires_grad);
        Assert.IsFalse(nonLeaf.IsDisposed, "the source tensor stays the caller's");
        Equal(new double[] { 2, 4 }, p);
        using var frozen = new nn.Parameter(ones(2), requires_grad: false);
        Assert.IsFalse(frozen.requires_grad);
    }

    [TestMethod]
    public void InitFunctions()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        foreach (var shape in new long[][] { [4, 6], [6, 4], [4, 2, 3, 3] })
        {
            var w = new nn.Parameter(empty(shape));
            nn.init.orthogonal_(w, 1.5, g);
            var m = w.reshape(shape[0], -1).to(float64);
            var rows = m.size(0);
            var cols = m.size(1);
            var gram = rows <= cols ? m.mm(m.t()) : m.t().mm(m);
            var n = Math.Min(rows, cols);
            Close(eye(n, dtype: float64).mul(1.5 * 1.5).data<double>(), gram, 1e-5, $"orthogonal {string.Join("x", shape)}");
            Assert.IsTrue(w.requires_grad && w.is_leaf);
            w.Dispose();
        }
        var a = empty([200, 300]);
        nn.init.xavier_uniform_(a, 2, g);
        var bound = 2 * Math.Sqrt(6.0 / 500);
        Assert.IsTrue(a.abs().max().item<float>() <= bound + 1e-6);
        Assert.IsTrue(a.abs().max().item<float>() > 0.95 * bound);
        nn.init.normal_(a, 1, 0.1, g);
        Assert.AreEqual(1, a.mean().ToDouble(), 0.01);
        Assert.AreEqual(0.1, a.std().ToDouble(), 0.01);
        nn.init.uniform_(a, 2, 3, g);
        Assert.IsTrue(a.min().item<float>() >= 2 && a.max().item<float>() <= 3);
        nn.init.zeros_(a);
        Assert.AreEqual(0, a.abs().sum().ToDouble());
        nn.init.ones_(a);
        Assert.AreEqual(60000, a.sum().ToDouble());
        Assert.AreEqual((36L, 72L), nn.init.calculate_fan_in_and_fan_out(empty([8, 4, 3, 3])));
        Assert.AreEqual((3L, 5L), nn.init.calculate_fan_in_and_fan_out(empty([5, 3])));
        Assert.ThrowsExactly<ArgumentException>(() => nn.init.calculate_fan_in_and_fan_out(empty([5])));
        Assert.ThrowsExactly<ArgumentException>(() => nn.init.orthogonal_(empty([5])));
        // a parameter that requires grad can be initialised (the init runs without recording)
        using var p = new nn.Parameter(empty([3, 3]));
        nn.init.normal_(p, 0, 1, g);
        nn.init.orthogonal_(p, 1, g);
        Assert.IsTrue(p.is_leaf);
    }
}
