using System.Diagnostics;

namespace BigGan.Training.Tests.Distributed;

/// <summary>In-process checks: a world of one process (the collectives are identities and cross-replica batch norm
/// equals batch_norm), the default-group lifecycle, and fast failures that need no peer.</summary>
[TestClass]
[DoNotParallelize]
public sealed class SingleProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ProcessGroup WorldOfOne()
    {
        var store = new TCPStore("127.0.0.1", BigGan.Tests.Shared.DotnetChildProcess.FreePort(), 1, is_master: true, Timeout);
        try { return new ProcessGroup(store, 0, 1, "gloo", Timeout); }
        finally { store.Dispose(); } // the store is only needed while the group is created
    }

    private static double[] Doubles(Tensor t) => t.detach().to(float64).data<double>().ToArray();

    [TestMethod]
    public void GlooIsAvailableAndNcclIsNot()
    {
        Assert.IsTrue(distributed.is_available());
        Assert.IsTrue(distributed.is_gloo_available());
        Assert.IsFalse(distributed.is_nccl_available());
    }

    [TestMethod]
    public void CollectivesOfAWorldOfOneAreIdentities()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        Assert.AreEqual(0, pg.rank());
        Assert.AreEqual(1, pg.size());
        Assert.AreEqual("gloo", pg.backend);
        var t = tensor(new float[] { 1, 2, 3 });
        pg.allreduce(t);
        pg.allreduce(t, ReduceOp.AVG);
        pg.broadcast(t, 0);
        pg.barrier();
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, t.data<float>().ToArray());
        var list = new[] { tensor(new double[] { 4, 5 }), tensor(new float[] { 6 }) };
        pg.allreduce_coalesced(list, ReduceOp.AVG, bucket_bytes: 8);
        pg.broadcast_coalesced(list, 0);
        CollectionAssert.AreEqual(new double[] { 4, 5 }, list[0].data<double>().ToArray());
        CollectionAssert.AreEqual(new float[] { 6 }, list[1].data<float>().ToArray());
    }

    [TestMethod]
    public void CollectivesWorkOnParametersAndViewsWithoutTouchingAutograd()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        var p = randn([3, 2], float32, requires_grad: true);
        var before = p.data<float>().ToArray();
        pg.broadcast(p, 0);
        pg.allreduce_coalesced([p], ReduceOp.AVG);
        pg.allreduce(p.t(), ReduceOp.AVG); // a non-contiguous view goes through a copy
        CollectionAssert.AreEqual(before, p.data<float>().ToArray());
        Assert.IsTrue(p.requires_grad);
        var bf = ones([4], bfloat16); // reduced through a float32 copy
        pg.allreduce(bf);
        Assert.AreEqual(ScalarType.BFloat16, bf.dtype);
        CollectionAssert.AreEqual(new float[] { 1, 1, 1, 1 }, bf.to(float32).data<float>().ToArray());
    }

    [TestMethod]
    public void BadArgumentsAreRejectedBeforeCommunicating()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pg.broadcast(zeros(2), 1));
        var e = Assert.ThrowsExactly<ArgumentException>(() => pg.allreduce(ones([2], int64), ReduceOp.AVG));
        StringAssert.Contains(e.Message, "AVG needs a floating-point tensor");
        e = Assert.ThrowsExactly<ArgumentException>(() => pg.allreduce(ones([2], ScalarType.Bool)));
        StringAssert.Contains(e.Message, "cannot reduce Bool tensors");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pg.allreduce_coalesced([zeros(2)], bucket_bytes: 0));
        Assert.ThrowsExactly<ArgumentNullException>(() => pg.allreduce_coalesced([zeros(2), null!]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pg.barrier(TimeSpan.Zero));
        pg.barrier(); // still usable
    }

    [TestMethod]
    public void ADisposedGroupRefusesCollectives()
    {
        var pg = WorldOfOne();
        pg.Dispose();
        Assert.IsTrue(pg.IsDisposed);
        using var t = ones(2);
        Assert.ThrowsExactly<ObjectDisposedException>(() => pg.allreduce(t));
        pg.Dispose(); // idempotent
    }

    [TestMethod]
    public void SyncBatchNormOfOneProcessEqualsBatchNorm()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        var d = SyncBatchNormData.Make(5, 3, 4, seed: 3);
        var rm2 = d.RunningMean.clone();
        var rv2 = d.RunningVar.clone();
        var x1 = d.X.detach().requires_grad_();
        var x2 = d.X.detach().requires_grad_();
        var w1 = d.Weight.detach().requires_grad_();
        var w2 = d.Weight.detach().requires_grad_();
        var b1 = d.Bias.detach().requires_grad_();
        var b2 = d.Bias.detach().requires_grad_();

        var expected = nn.functional.batch_norm(x1, d.RunningMean, d.RunningVar, w1, b1, training: true, momentum: 0.2, eps: 1e-3);
        var actual = distributed.sync_batch_norm(x2, rm2, rv2, w2, b2, training: true, momentum: 0.2, eps: 1e-3, group: pg);
        expected.mul(d.GradOut).sum().backward();
        actual.mul(d.GradOut).sum().backward();

        MultiProcessTests.AssertClose(Doubles(expected), Doubles(actual), "output");
        MultiProcessTests.AssertClose(Doubles(d.RunningMean), Doubles(rm2), "running mean");
        MultiProcessTests.AssertClose(Doubles(d.RunningVar), Doubles(rv2), "running variance");
        MultiProcessTests.AssertClose(Doubles(x1.grad!), Doubles(x2.grad!), "input gradient");
        MultiProcessTests.AssertClose(Doubles(w1.grad!), Doubles(w2.grad!), "weight gradient");
        MultiProcessTests.AssertClose(Doubles(b1.grad!), Doubles(b2.grad!), "bias gradient");
    }

    [TestMethod]
    public void SyncBatchNormOnFloat32MatchesBatchNorm()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        var d = SyncBatchNormData.Make(4, 3, 5, seed: 8);
        var x1 = d.X.to(float32).detach().requires_grad_();
        var x2 = d.X.to(float32).detach().requires_grad_();
        var gy = d.GradOut.to(float32);
        var expected = nn.functional.batch_norm(x1, null, null, d.Weight.to(float32), d.Bias.to(float32), training: true);
        var actual = distributed.sync_batch_norm(x2, null, null, d.Weight.to(float32), d.Bias.to(float32), training: true, group: pg);
        Assert.AreEqual(ScalarType.Float32, actual.dtype);
        expected.mul(gy).sum().backward();
        actual.mul(gy).sum().backward();
        MultiProcessTests.AssertClose(Doubles(expected), Doubles(actual), "output", 1e-5);
        MultiProcessTests.AssertClose(Doubles(x1.grad!), Doubles(x2.grad!), "input gradient", 1e-5);
    }

    [TestMethod]
    public void SyncBatchNormWithoutAffineOrRunningStatsOn2dInputEqualsBatchNorm()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var x1 = randn([6, 3], float64, generator: g).requires_grad_();
        var x2 = x1.detach().requires_grad_();
        var gy = randn([6, 3], float64, generator: g);
        var expected = nn.functional.batch_norm(x1, null, null, training: true);
        var actual = distributed.sync_batch_norm(x2, null, null, training: true, group: pg);
        expected.mul(gy).sum().backward();
        actual.mul(gy).sum().backward();
        MultiProcessTests.AssertClose(Doubles(expected), Doubles(actual), "output");
        MultiProcessTests.AssertClose(Doubles(x1.grad!), Doubles(x2.grad!), "input gradient");
    }

    [TestMethod]
    public void SyncBatchNormGradientsMatchFiniteDifferences()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        var x = randn([4, 2, 3], float64, generator: g, requires_grad: true);
        var w = randn([2], float64, generator: g, requires_grad: true);
        var b = randn([2], float64, generator: g, requires_grad: true);
        var gy = randn([4, 2, 3], float64, generator: g);
        Tensor Loss() => distributed.sync_batch_norm(x, null, null, w, b, training: true, group: pg).mul(gy).sum();
        Loss().backward();
        foreach (var (p, name) in new[] { (x, "x"), (w, "weight"), (b, "bias") })
        {
            var analytic = Doubles(p.grad!);
            var numeric = new double[analytic.Length];
            var flat = p.detach().view(-1);
            const double h = 1e-6;
            for (int i = 0; i < numeric.Length; i++)
            {
                using var _ = no_grad();
                var v = flat[i].item<double>();
                flat[i].fill_(v + h);
                var up = Loss().item<double>();
                flat[i].fill_(v - h);
                var down = Loss().item<double>();
                flat[i].fill_(v);
                numeric[i] = (up - down) / (2 * h);
            }
            MultiProcessTests.AssertClose(numeric, analytic, $"gradient of {name}", 1e-5);
        }
    }

    [TestMethod]
    public void SyncBatchNormRejectsBadShapesAndNeedsAGroupToTrain()
    {
        using var pg = WorldOfOne();
        using var scope = NewDisposeScope();
        var x = randn([4, 3, 2], float32);
        var e = Assert.ThrowsExactly<ArgumentException>(() => distributed.sync_batch_norm(x, null, null, ones(4), null, training: true, group: pg));
        StringAssert.Contains(e.Message, "weight must have shape [3]");
        e = Assert.ThrowsExactly<ArgumentException>(() => distributed.sync_batch_norm(randn([1, 3], float32), null, null, training: true, group: pg));
        StringAssert.Contains(e.Message, "more than 1 value per channel");
        e = Assert.ThrowsExactly<ArgumentException>(() => distributed.sync_batch_norm(x, zeros(3), null, training: true, group: pg));
        StringAssert.Contains(e.Message, "give both running_mean and running_var");
        if (!distributed.is_initialized())
            Assert.ThrowsExactly<InvalidOperationException>(() => distributed.sync_batch_norm(x, null, null, training: true));
        // Eval mode uses the running statistics and needs no group.
        var y = distributed.sync_batch_norm(x, zeros(3), ones(3), training: false, eps: 0);
        MultiProcessTests.AssertClose(Doubles(x), Doubles(y), "eval output", 1e-6);
    }

    [TestMethod]
    public void InitProcessGroupFromTheEnvironmentStyleArgumentsAndDestroy()
    {
        Assert.IsFalse(distributed.is_initialized());
        var port = BigGan.Tests.Shared.DotnetChildProcess.FreePort();
        var pg = distributed.init_process_group("gloo", "127.0.0.1", port, rank: 0, world_size: 1, timeout: Timeout);
        try
        {
            Assert.IsTrue(distributed.is_initialized());
            Assert.AreSame(pg, distributed.get_default_group());
            Assert.AreEqual(0, distributed.get_rank());
            Assert.AreEqual(1, distributed.get_world_size());
            Assert.AreEqual(0, distributed.get_local_rank());
            var again = Assert.ThrowsExactly<InvalidOperationException>(() => distributed.init_process_group("gloo", "127.0.0.1", port, 0, 1, Timeout));
            StringAssert.Contains(again.Message, "already initialized");
            using var t = ones(3);
            distributed.all_reduce(t);
            distributed.barrier();
            pg.store!.set("k", "v");
            Assert.AreEqual("v", pg.store.get_string("k"));
            Assert.AreEqual(5, pg.store.add("n", 5));
            Assert.AreEqual(7, pg.store.add("n", 2));
        }
        finally
        {
            distributed.destroy_process_group();
        }
        Assert.IsFalse(distributed.is_initialized());
        Assert.IsTrue(pg.IsDisposed);
        Assert.ThrowsExactly<InvalidOperationException>(() => distributed.get_rank());
    }

    [TestMethod]
    public void AStoreGetOfAMissingKeyTimesOut()
    {
        using var store = new TCPStore("127.0.0.1", BigGan.Tests.Shared.DotnetChildProcess.FreePort(), 1, is_master: true, TimeSpan.FromSeconds(1));
        var e = Assert.ThrowsExactly<DistributedException>(() => store.get("nobody/sets/this"));
        StringAssert.Contains(e.Message, "store get of 'nobody/sets/this' timed out after 1 s");
        Assert.IsTrue(e.TimedOut);
        store.set("then", "works");
        Assert.AreEqual("works", store.get_string("then"));
    }

    [TestMethod]
    public void AnUnreachableMasterFailsWithinTheTimeout()
    {
        var port = BigGan.Tests.Shared.DotnetChildProcess.FreePort(); // nobody listens there
        var sw = Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<DistributedException>(() =>
            distributed.init_process_group("gloo", "127.0.0.1", port, rank: 1, world_size: 2, timeout: TimeSpan.FromSeconds(1.5)));
        sw.Stop();
        StringAssert.Contains(e.Message, $"could not join the master at 127.0.0.1:{port}");
        StringAssert.Contains(e.Message, "Check that rank 0 is running");
        Assert.IsFalse(distributed.is_initialized());
        Console.WriteLine($"failed after {sw.Elapsed.TotalSeconds:F2} s: {e.Message}");
    }

    [TestMethod]
    public void AMasterAloneFailsWithinTheTimeoutNamingTheMissingProcesses()
    {
        var e = Assert.ThrowsExactly<DistributedException>(() =>
            distributed.init_process_group("gloo", "127.0.0.1", BigGan.Tests.Shared.DotnetChildProcess.FreePort(), rank: 0, world_size: 2, timeout: TimeSpan.FromSeconds(1)));
        StringAssert.Contains(e.Message, "only 1 of WORLD_SIZE=2 processes joined");
        Assert.IsFalse(distributed.is_initialized());
    }

    [TestMethod]
    public void UnknownOrUnavailableBackendsFailClearly()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => distributed.init_process_group("mpi", "127.0.0.1", 1234, 0, 1, Timeout));
        StringAssert.Contains(e.Message, "unknown distributed backend 'mpi'");
        e = Assert.ThrowsExactly<ArgumentException>(() => distributed.init_process_group("nccl", "127.0.0.1", 1234, 0, 1, Timeout));
        StringAssert.Contains(e.Message, "the nccl backend is not available");
        using var store = new TCPStore("127.0.0.1", BigGan.Tests.Shared.DotnetChildProcess.FreePort(), 1, true, Timeout);
        e = Assert.ThrowsExactly<ArgumentException>(() => new ProcessGroup(store, 0, 1, "nccl", Timeout));
        StringAssert.Contains(e.Message, "use backend \"gloo\"");
    }
}
