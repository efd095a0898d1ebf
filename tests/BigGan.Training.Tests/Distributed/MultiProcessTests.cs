using System.Diagnostics;
using System.Text.Json;

namespace BigGan.Training.Tests.Distributed;

/// <summary>Worker processes on loopback (127.0.0.1): collectives with 2 and 3 ranks, cross-replica batch norm
/// against the single-process batch norm, and the failure modes (a killed or stopped peer, a wrong WORLD_SIZE,
/// ranks that disagree, a rank claimed twice). Every wait is bounded; no assertion is about timing.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MultiProcessTests
{
    // Generous: a loaded 2-core machine starts .NET + libtorch slowly.
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(120);

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void CollectivesAgreeAcrossProcesses(int world)
    {
        using var job = DistWorkers.Start("collectives", started: world, worldSize: world, timeoutMs: 60_000);
        job.WaitAll(ExitLimit);
        double w = world, triangle = w * (w + 1) / 2;
        foreach (var r0 in job.Ranks) Assert.AreEqual(0, r0.ExitCode, job.Describe());
        foreach (var worker in job.Ranks)
        {
            var r = worker.Result();
            Assert.AreEqual(worker.Rank, r.GetProperty("rank").GetInt32());
            Assert.AreEqual(world, r.GetProperty("world").GetInt32());
            Assert.AreEqual(worker.Rank, r.GetProperty("local_rank").GetInt32());
            CollectionAssert.AreEqual(Enumerable.Repeat(triangle, 4).ToArray(), r.Doubles("sum"));
            // AVG of [2·rank, 1, rank == 0 ? 10 : -10] over the ranks.
            AssertClose([w - 1, 1, (10 - 10 * (w - 1)) / w], r.Doubles("avg"), "avg");
            CollectionAssert.AreEqual(Enumerable.Repeat(10 * triangle, 3).ToArray(), r.Doubles("int_sum"));
            CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => w * i).ToArray(), r.Doubles("transposed_sum"));
            CollectionAssert.AreEqual(new double[] { 0, 1, 2, 3, 4 }, r.Doubles("broadcast_from_0"));
            CollectionAssert.AreEqual(Enumerable.Range(0, 5).Select(i => w * i).ToArray(), r.Doubles("broadcast_from_last"));

            var avg = r.Lists("coalesced_avg");
            Assert.HasCount(6, avg);
            double[] expected = [(w + 1) / 2, w + 1, (w - 1) / 2, double.NaN, -(w + 1) / 2, 0.25 * (w - 1)];
            int[] sizes = [15, 7, 100, 0, 8, 1];
            for (int i = 0; i < 6; i++)
            {
                Assert.HasCount(sizes[i], avg[i], $"tensor {i}");
                Assert.IsTrue(avg[i].All(v => Math.Abs(v - expected[i]) < 1e-6), $"tensor {i}: {string.Join(",", avg[i])}");
            }
            var sum = r.Lists("coalesced_sum");
            Assert.IsTrue(sum.All(t => t.All(v => v == triangle)));
            var bc = r.Lists("broadcast_coalesced");
            Assert.IsTrue(bc[0].All(v => v == w) && bc[1].All(v => v == 10 * w), "broadcast_coalesced takes the last rank's tensors");

            CollectionAssert.AreEqual(Enumerable.Range(0, world).Select(i => $"from rank {i}").ToArray(),
                r.GetProperty("store").EnumerateArray().Select(x => x.GetString()).ToArray());
            StringAssert.Contains(r.GetProperty("bad_src").GetString(), $"source rank must be in 0..{world - 1}");
            StringAssert.Contains(r.GetProperty("int_avg").GetString(), "AVG needs a floating-point tensor");
        }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void CrossReplicaBatchNormMatchesBatchNormOnTheConcatenatedBatch(int world)
    {
        const int batch = 3, channels = 4, size = 3;
        const ulong seed = 11;
        using var job = DistWorkers.Start("syncbn", world, world, 60_000, "--batch", "3", "--channels", "4", "--size", "3", "--seed", "11");
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks) Assert.AreEqual(0, w.ExitCode, job.Describe());
        var r = job.Ranks.Select(w => w.Result()).ToArray();

        // Single process, batch world·B: the same two training steps and loss, with plain batch_norm.
        using var scope = NewDisposeScope();
        var d = SyncBatchNormData.Make(world * batch, channels, size, seed);
        var x = d.X.detach().requires_grad_();
        var weight = d.Weight.detach().requires_grad_();
        var bias = d.Bias.detach().requires_grad_();
        var y = nn.functional.batch_norm(x, d.RunningMean, d.RunningVar, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        var y2 = nn.functional.batch_norm(x.mul(2.0), d.RunningMean, d.RunningVar, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        y.mul(d.GradOut).sum().add(y2.mul(d.GradOut).sum().mul(0.5)).backward();
        var eval = nn.functional.batch_norm(x.detach(), d.RunningMean, d.RunningVar, weight, bias, training: false);

        AssertClose(Doubles(y), Concat(r, "y"), "output (step 1)");
        AssertClose(Doubles(y2), Concat(r, "y2"), "output (step 2)");
        AssertClose(Doubles(eval), Concat(r, "eval"), "eval-mode output");
        AssertClose(Doubles(x.grad!), Concat(r, "grad_x"), "input gradient");
        foreach (var rank in r)
        {
            AssertClose(Doubles(d.RunningMean), rank.Doubles("running_mean"), "running mean");
            AssertClose(Doubles(d.RunningVar), rank.Doubles("running_var"), "running variance");
        }
        // Weight and bias gradients are per rank; data-parallel training sums them with the other gradients.
        AssertClose(Doubles(weight.grad!), Sum(r, "grad_weight"), "weight gradient");
        AssertClose(Doubles(bias.grad!), Sum(r, "grad_bias"), "bias gradient");
    }

    [TestMethod]
    public void AFailureInsideTheBackwardPassPoisonsTheGradientAndFailsTheNextCollectiveInsteadOfAborting()
    {
        using var job = DistWorkers.Start("syncbn-dead-peer", 2, 2, timeoutMs: 20_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks) Assert.AreEqual(0, w.ExitCode, job.Describe());
        var r = job.Ranks[0].Result();
        Assert.IsTrue(r.GetProperty("grad_is_nan").GetBoolean(), job.Describe());
        var next = r.GetProperty("next").GetString()!;
        StringAssert.Contains(next, "failed earlier and is no longer usable", job.Describe());
        StringAssert.Contains(next, "sync_batch_norm backward", job.Describe());
    }

    [TestMethod]
    public void AKilledPeerMakesTheOtherRankFailWithAClearError()
    {
        using var job = DistWorkers.Start("loop", 2, 2, timeoutMs: 20_000);
        foreach (var w in job.Ranks)
            Assert.IsTrue(w.WaitForOutput("step 3\n", ExitLimit), "the ranks never got going:\n" + job.Describe());
        job.Ranks[1].Kill();
        var survivor = job.Ranks[0];
        Assert.IsTrue(survivor.TryWaitForExit(ExitLimit), "rank 0 hung after its peer was killed:\n" + job.Describe());
        Assert.AreEqual(3, survivor.ExitCode, job.Describe());
        StringAssert.Contains(survivor.Stderr, "DistributedException: all_reduce", job.Describe());
        StringAssert.Contains(survivor.Stderr, "rank 0 of 2", job.Describe());
        Assert.IsTrue(survivor.Stderr.Contains("peer process may have died") || survivor.Stderr.Contains("timed out"), survivor.Stderr);
    }

    [TestMethod]
    public void AStuckPeerMakesTheOtherRankTimeOut()
    {
        // 8 s: long enough that a healthy step on a loaded 2-core machine never trips it.
        using var job = DistWorkers.Start("loop", 2, 2, timeoutMs: 8_000);
        foreach (var w in job.Ranks)
            Assert.IsTrue(w.WaitForOutput("step 3\n", ExitLimit), "the ranks never got going:\n" + job.Describe());
        job.Ranks[1].Signal("STOP"); // alive but silent: only the timeout can tell
        var survivor = job.Ranks[0];
        Assert.IsTrue(survivor.TryWaitForExit(ExitLimit), "rank 0 hung after its peer stopped:\n" + job.Describe());
        Assert.AreEqual(3, survivor.ExitCode, job.Describe());
        StringAssert.Contains(survivor.Stderr, "timed out after 8 s (rank 0 of 2", job.Describe());
    }

    [TestMethod]
    [DataRow(1, 2)]
    [DataRow(2, 3)]
    public void AWrongWorldSizeFailsWithinTheTimeoutOnEveryRank(int started, int declared)
    {
        using var job = DistWorkers.Start("init", started, declared, timeoutMs: 5_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks)
        {
            Assert.AreEqual(3, w.ExitCode, job.Describe());
            StringAssert.Contains(w.Stderr, $"WORLD_SIZE={declared}", job.Describe());
            StringAssert.Contains(w.Stderr, "check that WORLD_SIZE equals the number of processes started", job.Describe());
        }
        // The master counts who joined; another rank may instead see the master leave first.
        StringAssert.Contains(job.Ranks[0].Stderr, $"only {started} of WORLD_SIZE={declared} processes joined", job.Describe());
    }

    [TestMethod]
    public void RanksThatDisagreeOnACollectiveFailClearlyInsteadOfCrashing()
    {
        // Rank 0 reduces 4 elements, rank 1 4096: unchecked, Gloo would abort rank 0 (std::terminate).
        using var job = DistWorkers.Start("mismatch", 2, 2, timeoutMs: 20_000);
        job.WaitAll(ExitLimit);
        foreach (var w in job.Ranks)
        {
            Assert.AreEqual(3, w.ExitCode, job.Describe());
            StringAssert.Contains(w.Stderr, "the ranks disagree on a collective", job.Describe());
            StringAssert.Contains(w.Stderr, w.Rank == 0 ? "all_reduce(Float32[4]" : "all_reduce(Float32[4096]", job.Describe());
        }
    }

    [TestMethod]
    public void TwoProcessesClaimingOneRankAreRejected()
    {
        var port = BigGan.Tests.Shared.DotnetChildProcess.FreePort();
        string[] options = ["--timeout-ms", "5000"];
        using var r0 = DistWorkers.Worker.Start("init", 0, 3, port, options);
        using var r1a = DistWorkers.Worker.Start("init", 1, 3, port, options);
        using var r1b = DistWorkers.Worker.Start("init", 1, 3, port, options);
        DistWorkers.Worker[] all = [r0, r1a, r1b];
        var describe = () => string.Join("\n", all.Select(w => w.Describe()));
        foreach (var w in all) Assert.IsTrue(w.TryWaitForExit(ExitLimit), "a rank hung:\n" + describe());
        Assert.IsTrue(all.All(w => w.ExitCode == 3), describe());
        Assert.IsTrue(all.Any(w => w.Stderr.Contains("rank 1 was claimed by 2 processes")), describe());
    }

    [TestMethod]
    public void AMissingGlooShimIsReportedWithWhatToDo()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "libbiggan_gloo.so");
        using var w = DistWorkers.Worker.Start("init", 0, 1, BigGan.Tests.Shared.DotnetChildProcess.FreePort(), ["--timeout-ms", "5000"],
            new Dictionary<string, string> { ["BIGGAN_GLOO_LIB"] = missing });
        Assert.IsTrue(w.TryWaitForExit(ExitLimit), w.Describe());
        Assert.AreEqual(3, w.ExitCode, w.Describe());
        StringAssert.Contains(w.Stderr, "DllNotFoundException", w.Describe());
        StringAssert.Contains(w.Stderr, $"BIGGAN_GLOO_LIB={missing}", w.Describe());
    }

    private static double[] Doubles(Tensor t) => t.detach().to(float64).data<double>().ToArray();

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
