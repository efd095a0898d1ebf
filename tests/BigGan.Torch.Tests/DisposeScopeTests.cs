using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>DisposeScope: counts return to baseline, nesting, moving out, detaching, ordering rules, threads.</summary>
[TestClass]
public sealed class DisposeScopeTests
{
    private long _native, _managed;

    [TestInitialize]
    public void Baseline()
    {
        SettleFinalizers();
        _native = native_live_tensors();
        _managed = Tensor.LiveCount;
    }

    private void AssertBaseline(long extra = 0, string? what = null)
    {
        Assert.AreEqual(_native + extra, native_live_tensors(), $"native handles {what}");
        Assert.AreEqual(_managed + extra, Tensor.LiveCount, $"managed tensors {what}");
    }

    [TestMethod]
    public void EverythingCreatedInAScopeIsFreedAtItsEnd()
    {
        using (var scope = NewDisposeScope())
        {
            var x = randn([4, 4], requires_grad: true);
            var y = (x.mm(x) + 1).relu().sum();
            y.backward();
            var parts = x.chunk(2);
            var (v, i) = x.max(1);
            _ = x.grad;
            _ = autograd.grad([(x * 2).sum()], [x]);
            Assert.IsTrue(scope.Count >= 10, $"the scope owns {scope.Count} tensors");
            Assert.IsTrue(native_live_tensors() > _native);
        }
        AssertBaseline(what: "after the scope");
    }

    [TestMethod]
    public void ManyScopedStepsLeaveNothingBehind()
    {
        var w = zeros([8], requires_grad: true);
        for (int step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            var loss = (w - randn([8])).square().mean();
            loss.backward();
            using (no_grad()) w.sub_(w.grad!, 0.01);
        }
        AssertBaseline(1, "after 200 steps (w remains)");
        w.Dispose();
        AssertBaseline();
    }

    [TestMethod]
    public void NestedScopesAndMoveToOuter()
    {
        Tensor kept, inner1, outer1;
        using (var outer = NewDisposeScope())
        {
            outer1 = ones(2);
            using (var inner = NewDisposeScope())
            {
                Assert.AreSame(outer, inner.Outer);
                inner1 = ones(3);
                kept = (inner1 * 2).MoveToOuterDisposeScope();
                Assert.AreEqual(1, inner.Count, "inner1 only");
            }
            Assert.IsTrue(inner1.IsDisposed);
            Assert.IsFalse(kept.IsDisposed, "moved out of the inner scope");
            Equal(new float[] { 2, 2, 2 }, kept);
            Assert.IsFalse(outer1.IsDisposed);
            Assert.AreEqual(2, outer.Count);
        }
        Assert.IsTrue(kept.IsDisposed, "dies with the outer scope");
        Assert.IsTrue(outer1.IsDisposed);
        AssertBaseline();
    }

    [TestMethod]
    public void MoveOutOfTheOutermostScopeDetaches()
    {
        Tensor t;
        using (NewDisposeScope()) t = zeros(2).MoveToOuterDisposeScope();
        Assert.IsFalse(t.IsDisposed);
        AssertBaseline(1);
        t.Dispose();
        AssertBaseline();
    }

    [TestMethod]
    public void DetachFromDisposeScopeSurvivesAllScopes()
    {
        Tensor free;
        using (NewDisposeScope())
        using (NewDisposeScope())
            free = zeros(2).DetachFromDisposeScope();
        Assert.IsFalse(free.IsDisposed);
        Equal(new float[] { 0, 0 }, free);
        free.Dispose();
        AssertBaseline();
    }

    [TestMethod]
    public void DisposeEverythingButKeepsTheGivenTensors()
    {
        using (var scope = NewDisposeScope())
        {
            var a = ones(2);
            var b = ones(2);
            var c = a + b;
            scope.DisposeEverythingBut(c);
            Assert.IsTrue(a.IsDisposed && b.IsDisposed);
            Assert.IsFalse(c.IsDisposed);
            Assert.AreEqual(0, scope.Count);
            var d = c * 2; // the scope keeps working after DisposeEverythingBut
            Assert.AreEqual(1, scope.Count);
            c.Dispose();
        }
        AssertBaseline();
    }

    [TestMethod]
    public void OutOfOrderDisposeThrowsAndCanBeRecovered()
    {
        var outer = NewDisposeScope();
        var inner = NewDisposeScope();
        var t = zeros(1);
        Assert.ThrowsExactly<InvalidOperationException>(() => outer.Dispose());
        Assert.IsFalse(t.IsDisposed);
        inner.Dispose();
        outer.Dispose();
        Assert.IsTrue(t.IsDisposed);
        AssertBaseline();
        using var check = NewDisposeScope();
        Assert.IsNull(check.Outer, "no stale scope remains current on this thread");
    }

    [TestMethod]
    public void ManualDisposeInsideAScopeAndInPlaceOpsAreSafe()
    {
        using (var scope = NewDisposeScope())
        {
            var a = ones(3);
            a.Dispose();
            a.Dispose();
            var b = ones(3);
            Assert.AreSame(b, b.add_(1).mul_(2));
            Assert.AreEqual(1, scope.Count, "in-place ops return this without registering a new tensor");
        }
        AssertBaseline();
    }

    [TestMethod]
    public void ScopesAreThreadLocal()
    {
        Tensor? fromThread = null;
        using (NewDisposeScope())
        {
            var th = new Thread(() => fromThread = ones(2));
            th.Start();
            th.Join();
        }
        Assert.IsFalse(fromThread!.IsDisposed, "a tensor made on another thread is not owned by this thread's scope");
        fromThread.Dispose();
        AssertBaseline();
    }

    [TestMethod]
    public void ModulesAndOptimizersOwnTheirTensors()
    {
        nn.Parameter p;
        Tensor stateCopy;
        using (NewDisposeScope())
        {
            p = new nn.Parameter(randn([3]));
            using var opt = new optim.Adam([p]);
            (p * p).sum().backward();
            opt.step();
            stateCopy = opt.state_dict()["state.0.exp_avg"].DetachFromDisposeScope();
        }
        Assert.IsFalse(p.IsDisposed, "a parameter belongs to no scope");
        AssertBaseline(2, "parameter and the detached state copy");
        using (var g = p.grad) Assert.IsNotNull(g, "the getter hands out a new handle the caller disposes");
        p.grad = null;
        p.Dispose();
        stateCopy.Dispose();
        AssertBaseline();
    }
}
