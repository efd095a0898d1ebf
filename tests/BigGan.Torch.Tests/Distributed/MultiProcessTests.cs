using System.Diagnostics;
using System.Text.Json;

namespace BigGan.Torch.Tests.Distributed;

/// <summary>Two worker processes on loopback (127.0.0.1): collectives, cross-replica batch norm against the
/// single-process batch norm, and the failure modes (a killed peer, a wrong WORLD_SIZE). Every wait is bounded.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MultiProcessTests
{
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(40);

    [TestMethod]
    public void CollectivesAgreeAcrossTwoProcesses()
    {
        using var job = DistWorkers.Start("collectives", started: 2, worldSize: 2, timeoutMs: 10_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks)
        {
            Assert.AreEqual(0, w.ExitCode, job.Describe());
            var r = w.Result();
            Assert.AreEqual(w.Rank, r.GetProperty("rank").GetInt32());
            Assert.AreEqual(2, r.GetProperty("world").GetInt32());
            Assert.AreEqual(w.Rank, r.GetProperty("local_rank").GetInt32());
            CollectionAssert.AreEqual(new double[] { 3, 3, 3, 3 }, r.Doubles("sum"));
            // AVG of [0, 1, 10] and [2, 1, -10].
            CollectionAssert.AreEqual(new double[] { 1, 1, 0 }, r.Doubles("avg"));
            CollectionAssert.AreEqual(new double[] { 30, 30, 30 }, r.Doubles("int_sum"));
            CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => 2.0 * i).ToArray(), r.Doubles("transposed_sum"));
            CollectionAssert.AreEqual(new double[] { 0, 1, 2, 3, 4 }, r.Doubles("broadcast_from_0"));
            CollectionAssert.AreEqual(new double[] { 0, 2, 4, 6, 8 }, r.Doubles("broadcast_from_last"));

            var avg = r.Lists("coalesced_avg");
            Assert.HasCount(6, avg);
            double[] expected = [1.5, 3, 0.5, double.NaN, -1.5, 0.25];
            int[] sizes = [15, 7, 100, 0, 8, 1];
            for (int i = 0; i < 6; i++)
            {
                Assert.HasCount(sizes[i], avg[i], $"tensor {i}");
                Assert.IsTrue(avg[i].All(v => v == expected[i]), $"tensor {i}: {string.Join(",", avg[i])}");
            }
            var sum = r.Lists("coalesced_sum");
            Assert.IsTrue(sum.All(t => t.All(v => v == 3)));
            var bc = r.Lists("broadcast_coalesced");
            Assert.IsTrue(bc[0].All(v => v == 2) && bc[1].All(v => v == 20), "broadcast_coalesced takes rank 1's tensors");

            CollectionAssert.AreEqual(new[] { "from rank 0", "from rank 1" }, r.GetProperty("store").EnumerateArray().Select(x => x.GetString()).ToArray());
            StringAssert.Contains(r.GetProperty("bad_src").GetString(), "source rank must be in 0..1");
            StringAssert.Contains(r.GetProperty("int_avg").GetString(), "AVG needs a floating-point tensor");
        }
    }

    [TestMethod]
    public void CrossReplicaBatchNormMatchesBatchNormOnTheConcatenatedBatch()
    {
        const int batch = 3, channels = 4, size = 3;
        const ulong seed = 11;
        using var job = DistWorkers.Start("syncbn", 2, 2, 10_000, "--batch", "3", "--channels", "4", "--size", "3", "--seed", "11");
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks) Assert.AreEqual(0, w.ExitCode, job.Describe());
        var r = job.Ranks.Select(w => w.Result()).ToArray();

        // Single process, batch 2B: the same two training steps and loss, with plain batch_norm.
        using var scope = NewDisposeScope();
        var d = SyncBatchNormData.Make(2 * batch, channels, size, seed);
        var x = d.X.detach().requires_grad_();
        var weight = d.Weight.detach().requires_grad_();
        var bias = d.Bias.detach().requires_grad_();
        var y = nn.functional.batch_norm(x, d.RunningMean, d.RunningVar, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        var y2 = nn.functional.batch_norm(x.mul(2.0), d.RunningMean, d.RunningVar, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        y.mul(d.GradOut).sum().add(y2.mul(d.GradOut).sum().mul(0.5)).backward();
        var eval = nn.functional.batch_norm(x.detach(), d.RunningMean, d.RunningVar, weight, bias, training: false);

        AssertClose(y.detach().data<double>(), Concat(r, "y"), "output (step 1)");
        AssertClose(y2.detach().data<double>(), Concat(r, "y2"), "output (step 2)");
        AssertClose(eval.detach().data<double>(), Concat(r, "eval"), "eval-mode output");
        AssertClose(x.grad!.data<double>(), Concat(r, "grad_x"), "input gradient");
        foreach (var rank in r)
        {
            AssertClose(d.RunningMean.data<double>(), rank.Doubles("running_mean"), "running mean");
            AssertClose(d.RunningVar.data<double>(), rank.Doubles("running_var"), "running variance");
        }
        // Weight and bias gradients are per rank; data-parallel training sums them with the other gradients.
        AssertClose(weight.grad!.data<double>(), Sum(r, "grad_weight"), "weight gradient");
        AssertClose(bias.grad!.data<double>(), Sum(r, "grad_bias"), "bias gradient");
    }

    [TestMethod]
    public void AKilledPeerMakesTheOtherRankFailWithAClearError()
    {
        using var job = DistWorkers.Start("loop", 2, 2, timeoutMs: 5_000);
        foreach (var w in job.Ranks)
            Assert.IsTrue(w.WaitForOutput("step 3\n", TimeSpan.FromSeconds(30)), "the ranks never got going:\n" + job.Describe());
        var killed = Stopwatch.StartNew();
        job.Ranks[1].Kill();
        var survivor = job.Ranks[0];
        Assert.IsTrue(survivor.TryWaitForExit(TimeSpan.FromSeconds(20)), "rank 0 hung after its peer was killed:\n" + job.Describe());
        Assert.AreEqual(3, survivor.ExitCode, job.Describe());
        StringAssert.Contains(survivor.Stderr, "DistributedException: all_reduce");
        StringAssert.Contains(survivor.Stderr, "rank 0 of 2");
        Assert.IsTrue(survivor.Stderr.Contains("peer process may have died") || survivor.Stderr.Contains("timed out"), survivor.Stderr);
        Console.WriteLine($"rank 0 exited {killed.Elapsed.TotalSeconds:F2} s after rank 1 was killed: {survivor.Stderr.Trim()}");
    }

    [TestMethod]
    public void AStuckPeerMakesTheOtherRankTimeOut()
    {
        // 6 s: long enough that a healthy step on a loaded 2-core machine never trips it.
        using var job = DistWorkers.Start("loop", 2, 2, timeoutMs: 6_000);
        foreach (var w in job.Ranks)
            Assert.IsTrue(w.WaitForOutput("step 3\n", TimeSpan.FromSeconds(30)), "the ranks never got going:\n" + job.Describe());
        job.Ranks[1].Signal("STOP"); // alive but silent: only the timeout can tell
        var survivor = job.Ranks[0];
        Assert.IsTrue(survivor.TryWaitForExit(TimeSpan.FromSeconds(30)), "rank 0 hung after its peer stopped:\n" + job.Describe());
        Assert.AreEqual(3, survivor.ExitCode, job.Describe());
        StringAssert.Contains(survivor.Stderr, "timed out after 6 s (rank 0 of 2", job.Describe());
    }

    [TestMethod]
    public void AWrongWorldSizeFailsWithinTheTimeoutOnEveryRank()
    {
        using var job = DistWorkers.Start("init", started: 2, worldSize: 3, timeoutMs: 3_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks)
        {
            Assert.AreEqual(3, w.ExitCode, job.Describe());
            StringAssert.Contains(w.Stderr, "WORLD_SIZE=3", job.Describe());
            StringAssert.Contains(w.Stderr, "check that WORLD_SIZE equals the number of processes started", job.Describe());
        }
        // The master counts who joined; another rank may instead see the master leave first.
        StringAssert.Contains(job.Ranks[0].Stderr, " of WORLD_SIZE=3 processes joined", job.Describe());
    }

    [TestMethod]
    public void RanksThatDisagreeOnACollectiveFailClearlyInsteadOfCrashing()
    {
        // Rank 0 reduces 4 elements, rank 1 4096: unchecked, Gloo would abort rank 0 (std::terminate).
        using var job = DistWorkers.Start("mismatch", 2, 2, timeoutMs: 5_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks)
        {
            Assert.AreEqual(3, w.ExitCode, job.Describe());
            StringAssert.Contains(w.Stderr, "the ranks disagree on a collective", job.Describe());
            StringAssert.Contains(w.Stderr, w.Rank == 0 ? "all_reduce(Float[4]" : "all_reduce(Float[4096]", job.Describe());
        }
    }

    [TestMethod]
    public void TwoProcessesClaimingOneRankAreRejected()
    {
        var port = BigGan.Tests.Shared.DotnetChildProcess.FreePort();
        string[] options = ["--timeout-ms", "3000"];
        using var r0 = DistWorkers.Worker.Start("init", 0, 3, port, options);
        using var r1a = DistWorkers.Worker.Start("init", 1, 3, port, options);
        using var r1b = DistWorkers.Worker.Start("init", 1, 3, port, options);
        DistWorkers.Worker[] all = [r0, r1a, r1b];
        var describe = () => string.Join("\n", all.Select(w => w.Describe()));
        foreach (var w in all) Assert.IsTrue(w.TryWaitForExit(ExitLimit), "a rank hung:\n" + describe());
        Assert.IsTrue(all.All(w => w.ExitCode == 3), describe());
        Assert.IsTrue(all.Any(w => w.Stderr.Contains("rank 1 was claimed by 2 processes")), describe());
    }

    private static double[] Concat(JsonElement[] ranks, string name) => ranks.SelectMany(r => r.Doubles(name)).ToArray();

    private static double[] Sum(JsonElement[] ranks, string name)
    {
        var s = ranks[0].Doubles(name);
        foreach (var r in ranks.Skip(1)) s = s.Zip(r.Doubles(name), (a, b) => a + b).ToArray();
        return s;
    }

    internal static void AssertClose(double[] expected, double[] actual, string what, double tol = 1e-9)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
            Assert.IsTrue(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
