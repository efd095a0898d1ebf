using static BigGan.Torch.Tests.TestUtil;
using Fn = BigGan.Torch.torch.nn.functional;

namespace BigGan.Torch.Tests;

/// <summary>Errors become managed exceptions with libtorch's message: never a crash, never a C++ backtrace.</summary>
[TestClass]
public sealed class ErrorTests
{
    private static void NoBacktrace(Exception e) =>
        Assert.DoesNotContain("Exception raised from", e.Message, "the C++ backtrace is left out");

    [TestMethod]
    public void ShapeMismatchCarriesLibtorchsMessage()
    {
        using var scope = NewDisposeScope();
        var e = Assert.ThrowsExactly<TorchException>(() => zeros(2, 3) + zeros(4));
        StringAssert.Contains(e.Message, "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1");
        Assert.AreEqual(1, e.Kind);
        NoBacktrace(e);
        var mm = Assert.ThrowsExactly<TorchException>(() => zeros(2, 3).mm(zeros(2, 3)));
        StringAssert.Contains(mm.Message, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
        var view = Assert.ThrowsExactly<TorchException>(() => zeros(2, 3).view(4));
        StringAssert.Contains(view.Message, "shape '[4]' is invalid for input of size 6");
        Assert.ThrowsExactly<TorchException>(() => zeros(2, 3).bmm(zeros(2, 3)));
        Assert.ThrowsExactly<TorchException>(() => zeros(2).copy_(zeros(3)));
        Assert.ThrowsExactly<TorchException>(() => zeros(2).add_(zeros(2, 2)), "in-place result cannot broadcast");
        Assert.ThrowsExactly<TorchException>(() => where(tensor(new[] { true, false }), zeros(3), zeros(3)));
        // The thread stays usable after an error.
        Equal(new float[] { 2, 2 }, ones(2) + ones(2));
    }

    [TestMethod]
    public void UseAfterDisposeIsObjectDisposed()
    {
        var t = ones(2);
        var other = ones(2);
        t.Dispose();
        t.Dispose(); // twice is fine
        Assert.IsTrue(t.IsDisposed);
        Assert.AreEqual("Tensor(disposed)", t.ToString());
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.data<float>());
        Assert.ThrowsExactly<ObjectDisposedException>(() => _ = t.shape);
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.add(1));
        Assert.ThrowsExactly<ObjectDisposedException>(() => other.add(t));
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.add_(1));
        Assert.ThrowsExactly<ObjectDisposedException>(() => cat([other, t]));
        Assert.ThrowsExactly<ObjectDisposedException>(() => Fn.linear(other, t));
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.item<float>());
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.MoveToOuterDisposeScope().add(1));
        var g = new Generator(1);
        g.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => randn([2], generator: g));
        other.Dispose();
    }

    [TestMethod]
    public void BadDtypeAndDeviceAreArgumentErrors()
    {
        using var scope = NewDisposeScope();
        var bad = (ScalarType)99;
        Assert.ThrowsExactly<ArgumentException>(() => zeros([2], bad));
        Assert.ThrowsExactly<ArgumentException>(() => full([2], 1, bad));
        Assert.ThrowsExactly<ArgumentException>(() => arange(0, 3, 1, bad));
        Assert.ThrowsExactly<ArgumentException>(() => randint(0, 3, [2], bad));
        Assert.ThrowsExactly<ArgumentException>(() => eye(2, dtype: bad));
        Assert.ThrowsExactly<ArgumentException>(() => ones(2).to(bad));
        Assert.ThrowsExactly<ArgumentException>(() => bad.ElementSize());
        Assert.ThrowsExactly<ArgumentException>(() => ScalarTypeInfo.Of<decimal>());
        Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("gpu"));
        Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("cuda:-1"));
        Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("cuda:x"));
        Assert.ThrowsExactly<ArgumentException>(() => zeros([2], device: "tpu"));
        Assert.ThrowsExactly<ArgumentException>(() => zeros([2], device: new Device((DeviceType)7)));
    }

    [TestMethod]
    public void OutOfRangeIndicesThrowInsteadOfCrashing()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 3, 4);
        var e = Assert.ThrowsExactly<TorchException>(() => x.index_select(0, L([0, 3])));
        StringAssert.Contains(e.Message, "out of range");
        Assert.ThrowsExactly<TorchException>(() => x.index_select(1, L([-1])));
        Assert.ThrowsExactly<TorchException>(() => x.index_select(2, L([0])), "bad dim");
        Assert.ThrowsExactly<TorchException>(() => x.gather(1, L([0, 4, 0, 0, 0, 0], 3, 2)));
        Assert.ThrowsExactly<TorchException>(() => x.gather(0, L([-1, 0, 0, 0], 1, 4)));
        Assert.ThrowsExactly<TorchException>(() => Fn.embedding(L([0, 5]), x), "row 5 of a 3-row table");
        Assert.ThrowsExactly<TorchException>(() => Fn.embedding(L([-1]), x));
        Assert.ThrowsExactly<TorchException>(() => Fn.one_hot(L([0, 3]), 3));
        Assert.ThrowsExactly<TorchException>(() => Fn.one_hot(L([-1]), 3));
        Assert.ThrowsExactly<TorchException>(() => x.select(0, 3));
        Assert.ThrowsExactly<TorchException>(() => x.select(1, -5));
        Assert.ThrowsExactly<TorchException>(() => x[7]);
        Assert.ThrowsExactly<TorchException>(() => x.narrow(1, 2, 3));
        Assert.ThrowsExactly<TorchException>(() => x.narrow(0, -4, 1));
        Assert.ThrowsExactly<TorchException>(() => x.transpose(0, 2));
        Assert.ThrowsExactly<TorchException>(() => x.sum(5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.size(2));
        var ce = Assert.ThrowsExactly<ArgumentException>(() => Fn.cross_entropy(zeros(2, 3), L([0, 3])));
        StringAssert.Contains(ce.Message, "target out of range");
        Assert.ThrowsExactly<ArgumentException>(() => Fn.cross_entropy(zeros(2, 3), L([-2, 0])));
        Assert.ThrowsExactly<TorchException>(() => Fn.cross_entropy(zeros(2, 3), L([0, 1, 2])), "batch size mismatch");
        Assert.ThrowsExactly<TorchException>(() => F([1, 2]).masked_fill(tensor(new[] { true, false, true }), 0));
    }

    [TestMethod]
    public void BackwardMisuseThrows()
    {
        using var scope = NewDisposeScope();
        var x = ones([3], requires_grad: true);
        var y = x * 2;
        var e = Assert.ThrowsExactly<ArgumentException>(() => y.backward());
        StringAssert.Contains(e.Message, "scalar");
        Assert.ThrowsExactly<ArgumentException>(() => ones(1).backward(), "no grad_fn");
        Assert.ThrowsExactly<TorchException>(() => y.backward(ones(4)), "gradient of the wrong shape");
        var i = L([1, 2]);
        Assert.ThrowsExactly<TorchException>(() => i.requires_grad = true, "integer tensors cannot require grad");
        Assert.ThrowsExactly<TorchException>(() => autograd.grad([(x * 2).sum()], [ones(3)]), "an input that is not part of the graph");
        Assert.ThrowsExactly<ArgumentException>(() => { using var _ = no_grad(); (x * 2).sum().backward(); }, "built without grad");
    }

    [TestMethod]
    public void BadArgumentsRejectedBeforeLibtorch()
    {
        using var scope = NewDisposeScope();
        Assert.ThrowsExactly<ArgumentException>(() => ones(2).chunk(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ones(2).split(0L));
        Assert.ThrowsExactly<ArgumentException>(() => Fn.max_pool2d(ones(2, 2), 2));
        Assert.ThrowsExactly<TorchException>(() => Fn.max_pool2d(ones(1, 1, 2, 2), 3), "kernel larger than the input");
        Assert.ThrowsExactly<TorchException>(() => Fn.avg_pool2d(ones(1, 1, 4, 4), 2, 2, 2), "padding larger than half the kernel");
        Assert.ThrowsExactly<TorchException>(() => Fn.softmax(ones(2), 1));
        Assert.ThrowsExactly<TorchException>(() => Fn.batch_norm(ones(4, 3), zeros(2), ones(2), training: true));
        using var g = new Generator(1);
        Assert.ThrowsExactly<TorchException>(() => g.set_state(new byte[10]), "an RNG state of the wrong size");
        Assert.ThrowsExactly<TorchException>(() => ones(2, 2).item<float>());
        var wrongType = Assert.ThrowsExactly<ArgumentException>(() => ones(2).data<long>());
        StringAssert.Contains(wrongType.Message, "Float32");
    }
}
