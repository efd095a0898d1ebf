using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>Factories, data exchange with arrays, dtype conversions, seeding and generator state.</summary>
[TestClass]
public sealed class FactoryTests
{
    [TestMethod]
    public void ConstantFactories()
    {
        using var scope = NewDisposeScope();
        var z = zeros(2, 3);
        Shape([2, 3], z);
        Assert.AreEqual(float32, z.dtype);
        Assert.AreEqual(Device.CPU, z.device);
        Equal(new float[6], z);
        Equal(new long[] { 1, 1, 1, 1 }, ones([2, 2], int64));
        Equal(new double[] { 2.5, 2.5 }, full([2], 2.5, float64));
        Equal(new[] { true, true }, full([2], 1, @bool));
        Shape([4, 0], empty([4, 0]));
        Assert.AreEqual(0L, empty([4, 0]).numel());
        Shape([], zeros([], float64), "0-d");
        Assert.AreEqual(1L, zeros([], float64).numel());
        Assert.IsTrue(zeros([2], requires_grad: true).requires_grad);
        Assert.IsTrue(full([2], 1.0, requires_grad: true).requires_grad);
        Assert.ThrowsExactly<ArgumentException>(() => zeros([2, -1]));
    }

    [TestMethod]
    public void ArangeAndEye()
    {
        using var scope = NewDisposeScope();
        var a = arange(5);
        Assert.AreEqual(int64, a.dtype);
        Equal(new long[] { 0, 1, 2, 3, 4 }, a);
        Equal(new float[] { 0, 0.25f, 0.5f, 0.75f }, arange(0, 1, 0.25, float32));
        Equal(new double[] { 5, 3, 1 }, arange(5, 0, -2, float64));
        Equal(new long[] { 2, 3 }, arange(2, 4));
        Assert.ThrowsExactly<ArgumentException>(() => arange(0, 1, 0));
        Close([1, 0, 0, 0, 1, 0], [2, 3], eye(2, 3));
        Close([1, 0, 0, 1], [2, 2], eye(2, dtype: float64));
        Assert.AreEqual(float64, eye(2, dtype: float64).dtype);
    }

    [TestMethod]
    public void RandomFactoriesHaveTheRightRangeShapeAndType()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var r = rand([1000], float64, generator: g);
        Assert.IsTrue(r.min().ToDouble() >= 0 && r.max().ToDouble() < 1);
        Assert.AreEqual(0.5, r.mean().ToDouble(), 0.05);
        var n = randn([4000], generator: g);
        Assert.AreEqual(float32, n.dtype);
        Assert.AreEqual(0, n.mean().ToDouble(), 0.06);
        Assert.AreEqual(1, n.std().ToDouble(), 0.06);
        var i = randint(-3, 4, [2000], generator: g);
        Assert.AreEqual(int64, i.dtype);
        Assert.AreEqual(-3, i.min().item<long>());
        Assert.AreEqual(3, i.max().item<long>());
        Assert.AreEqual(int32, randint(0, 2, [3], int32).dtype);
        Assert.ThrowsExactly<ArgumentException>(() => randint(2, 2, [3]));
    }

    [TestMethod]
    public void LikeFactoriesKeepShapeAndDtype()
    {
        using var scope = NewDisposeScope();
        var t = ones([2, 3], float64);
        foreach (var (name, like) in new (string, Tensor)[]
                 {
                     ("zeros_like", zeros_like(t)), ("ones_like", ones_like(t)), ("empty_like", empty_like(t)),
                     ("full_like", full_like(t, 7)), ("rand_like", rand_like(t)), ("randn_like", randn_like(t)),
                 })
        {
            Shape([2, 3], like, name);
            Assert.AreEqual(float64, like.dtype, name);
        }
        Equal(new double[] { 7, 7, 7, 7, 7, 7 }, full_like(t, 7));
        Equal(new double[6], zeros_like(t));
        Equal(new long[] { 1, 1 }, ones_like(L([5, 6])));
    }

    [TestMethod]
    public void TensorsFromArraysAndBack()
    {
        using var scope = NewDisposeScope();
        var f = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Shape([2, 3], f);
        Assert.AreEqual(6f, f[1][2].item<float>());
        Assert.AreEqual(float64, tensor(new double[] { 1 }).dtype);
        Assert.AreEqual(int32, tensor(new[] { 1, 2 }).dtype);
        Assert.AreEqual(uint8, tensor(new byte[] { 1, 2 }).dtype);
        Assert.AreEqual(@bool, tensor(new[] { true }).dtype);
        Assert.AreEqual(int64, tensor(5L).dtype);
        Shape([], tensor(2.5));
        Assert.AreEqual(2.5, tensor(2.5).ToDouble());
        var m = from_array<int>(new int[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Shape([2, 3], m);
        Equal(new[] { 1, 2, 3, 4, 5, 6 }, m);
        Assert.IsTrue(tensor(new double[] { 1 }, requires_grad: true).requires_grad);

        var e = Assert.ThrowsExactly<ArgumentException>(() => tensor(new float[] { 1, 2, 3 }, [2, 2]));
        Assert.Contains("needs 4 elements", e.Message);
        Assert.ThrowsExactly<ArgumentException>(() => tensor(new float[] { 1, 2 }, [-1, -2]));

        // The tensor owns a copy: changing the array afterwards does not change it.
        var src = new double[] { 1, 2 };
        var copy = tensor(src);
        src[0] = 9;
        Equal(new double[] { 1, 2 }, copy);

        var span = new float[6];
        f.CopyTo<float>(span);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, span);
        Assert.ThrowsExactly<ArgumentException>(() => f.CopyTo<float>(new float[5]));
        Assert.ThrowsExactly<ArgumentException>(() => f.data<double>(), "data<T> must match the dtype");
        CollectionAssert.AreEqual(BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2f)).ToArray(), F([1.5f, -2]).bytes());
        // data<T> of a non-contiguous view is row-major in the view's own order
        Equal(new float[] { 1, 4, 2, 5, 3, 6 }, f.t());
    }

    [TestMethod]
    public void MetadataQueries()
    {
        using var scope = NewDisposeScope();
        var t = zeros([2, 3, 4], float64);
        Assert.AreEqual(3L, t.dim());
        Assert.AreEqual(24L, t.numel());
        Assert.AreEqual(4L, t.size(-1));
        Assert.AreEqual(2L, t.size(0));
        Assert.IsTrue(t.is_contiguous());
        Assert.AreEqual("Tensor[2, 3, 4], Float64, cpu", t.ToString());
        Assert.AreEqual(8, float64.ElementSize());
        Assert.AreEqual(2, ScalarType.BFloat16.ElementSize());
        Assert.IsTrue(ScalarType.Float16.IsFloatingPoint());
        Assert.IsFalse(int64.IsFloatingPoint());
        Assert.AreEqual(ScalarType.Float16, ScalarTypeInfo.Of<Half>());
    }

    [TestMethod]
    public void ItemConvertsToTheRequestedType()
    {
        using var scope = NewDisposeScope();
        Assert.AreEqual(2.5f, tensor(2.5f).item<float>());
        Assert.AreEqual(2.5, tensor(2.5f).ToDouble());
        Assert.AreEqual(7L, tensor(7L).item<long>());
        Assert.AreEqual(7, tensor(7L).item<int>());
        Assert.AreEqual((byte)200, tensor(new byte[] { 200 }, []).item<byte>());
        Assert.IsTrue(tensor(new[] { true }, []).item<bool>());
        Assert.AreEqual(3.0, tensor(new[] { 3.0 }, [1, 1]).ToDouble(), "one element of any rank");
        Assert.ThrowsExactly<TorchException>(() => zeros(2).item<float>());
    }

    [TestMethod]
    public void DtypeConversions()
    {
        using var scope = NewDisposeScope();
        var x = D([2.7, -2.7, 0, 300.5]);
        // torch.tensor([2.7, -2.7, 0., 300.5]).to(torch.int64) -> [2, -2, 0, 300] (truncation toward zero)
        Equal(new long[] { 2, -2, 0, 300 }, x.to(int64));
        Equal(new[] { true, true, false, true }, x.to(@bool));
        Equal(new float[] { 2.7f, -2.7f, 0, 300.5f }, x.to(float32));
        Equal(new byte[] { 0, 255, 7 }, D([0, 255, 7.9]).to(uint8));
        Equal(new double[] { 1, 0 }, tensor(new[] { true, false }).to(float64));
        Equal(new int[] { 3, -4 }, L([3, -4]).to(int32));
        var h = x.to(ScalarType.Float16);
        Assert.AreEqual(ScalarType.Float16, h.dtype);
        Close([2.69921875, -2.69921875, 0, 300.5], h, 0);
        Close([2.703125, -2.703125, 0, 300], x.to(ScalarType.BFloat16), 0);

        var same = x.to(float64);
        same.fill_(1);
        Assert.AreEqual(1, x[0].ToDouble(), "to() the same dtype without copy returns an alias");
        var copied = x.to(float64, copy: true);
        copied.fill_(2);
        Assert.AreEqual(1, x[0].ToDouble(), "copy: true makes a new tensor");
        var cl = x.clone();
        cl.fill_(3);
        Assert.AreEqual(1, x[0].ToDouble(), "clone is a copy");
        var al = x.alias();
        al.fill_(4);
        Assert.AreEqual(4, x[0].ToDouble(), "alias shares storage");
        Assert.AreEqual(Device.CPU, x.cpu().device);
    }

    [TestMethod]
    public void ManualSeedReproducesPyTorch()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        var a = randn([5]);
        // torch.manual_seed(42); torch.randn(5)
        Close([0.336690366, 0.128809407, 0.234462366, 0.23033303, -1.12285638], a, 1e-6);
        manual_seed(42);
        var b = randn([5]);
        Equal(a.data<float>(), b, "same seed, same numbers");
        manual_seed(42);
        // torch.manual_seed(42); torch.rand(5)
        Close([0.882269263, 0.915003955, 0.38286376, 0.959305644, 0.390448213], rand([5]), 1e-6);
    }

    [TestMethod]
    public void GeneratorsAreIndependentSeededAndMatchPyTorch()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        // g = torch.Generator().manual_seed(7); torch.randn(4, generator=g)
        Close([-0.146795094, 0.786141276, 0.94682163, -1.114344], randn([4], generator: g), 1e-6);
        g.manual_seed(7);
        // g = torch.Generator().manual_seed(7); torch.randint(0, 10, (6,), generator=g)
        Equal(new long[] { 5, 2, 1, 6, 3, 7 }, randint(0, 10, [6], generator: g));
        g.manual_seed(7);
        // torch.randn(3, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
        Close([-0.1467950974849952, 0.78614129872353578, 0.9468216090039564], randn([3], float64, generator: g), 1e-15);

        // Drawing from the default generator does not disturb g.
        g.manual_seed(11);
        var first = rand([3], generator: g).data<float>();
        g.manual_seed(11);
        _ = rand([100]);
        Equal(first, rand([3], generator: g));
    }

    [TestMethod]
    public void GeneratorStateRoundTrips()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        _ = randn([10], generator: g);
        var state = g.get_state();
        var a = randn([6], generator: g).data<float>();
        var n1 = empty([3]).normal_(0, 1, g).data<float>();
        g.set_state(state);
        Equal(a, randn([6], generator: g));
        Equal(n1, empty([3]).normal_(0, 1, g));

        using var other = new Generator(99);
        other.set_state(state);
        Equal(a, randn([6], generator: other), "a state moves between generators");

        var dflt = get_rng_state();
        var d1 = randn([4]).data<float>();
        set_rng_state(dflt);
        Equal(d1, randn([4]), "the default generator's state round-trips too");
        Assert.ThrowsExactly<ArgumentNullException>(() => g.set_state(null!));
    }

    [TestMethod]
    public void ThreadSettingsAndDevices()
    {
        var before = get_num_threads();
        try
        {
            set_num_threads(1);
            Assert.AreEqual(1, get_num_threads());
            set_num_threads(2);
            Assert.AreEqual(2, get_num_threads());
        }
        finally { set_num_threads(before); }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set_num_threads(0));
        Assert.AreEqual(cuda.is_available(), cuda.device_count() > 0);
        Assert.AreEqual(Device.CPU, Device.Parse("cpu"));
        Assert.AreEqual(Device.CUDA(0), Device.Parse("cuda"));
        Assert.AreEqual(Device.CUDA(1), Device.Parse(" CUDA:1 "));
        Assert.AreEqual("cuda:1", Device.CUDA(1).ToString());
        Device d = "cpu";
        Assert.AreEqual(DeviceType.CPU, d.type);
        if (!cuda.is_available())
        {
            using var t = zeros(2);
            Assert.Throws<Exception>(() => t.to(Device.CUDA(0)).Dispose(), "moving to CUDA without CUDA is an error, not a crash");
        }
    }
}
