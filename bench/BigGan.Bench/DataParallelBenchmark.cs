using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace BigGan.Bench;

/// <summary>
/// Data-parallel training on this machine, 2 processes on loopback (Gloo over TCP).
/// <para>
/// <c>--mode train</c> (in the default <c>all</c>): the real trainer at equal global batch (default ch 16, 32×32,
/// batch 64, 2 D steps, cross-replica BN on), 1 process × 2 threads against 2 processes × 1 thread, alternated over
/// <c>--rounds</c> so both see the same machine load. Prints dp_train_s_per_iter for each, dp_throughput_ratio
/// (2-process throughput / 1-process throughput; OpenMP threads wait passively, the loader's default, since spinning
/// threads make a 2-thread process several times slower when other processes load the cores) and comm_share_pct: the share of the 2-process step time that data
/// parallelism adds, measured against a control of 2 independent processes × 1 thread × the local batch run at the
/// same time (same compute, same contention for the cores, no communication), so it counts every collective
/// (gradient and loss averaging, cross-replica BN forward and backward), the waits for the slower rank, and the
/// reading of the whole global batch by every rank; comm_timed_share_pct is the part timed directly around the
/// trainer's own collectives (sync BN communicates inside the model and cannot be timed from outside).
/// </para>
/// <para>
/// <c>--mode comm</c> (in <c>all</c>): communication costs alone: allreduce latency and time per MB, the bucketed
/// allreduce of a gradient-sized list (BigGAN ch 16 at 32×32 has about 0.65 M parameters, ≈ 2.6 MB of float32
/// gradients for G and D together), the per-collective agreement check, and cross-replica BN against local BN.
/// </para>
/// Options: --mode all|train|comm, --ch 16, --resolution 32, --batch-size 64 (global), --d-steps 2, --iterations 4
/// (timed per run), --warmup 1, --rounds 3, --local-bn (cross-replica BN off), --nproc 2 (comm mode), --grad-mb 2.6,
/// --seconds 0.5 (per comm figure). Every figure carries the 1-minute load average before and after.
/// </summary>
public sealed class DataParallelBenchmark : IBenchmark
{
    public string Name => "dp";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        if (o.ContainsKey("worker"))
            return o.GetValueOrDefault("mode") == "train" ? TrainWorker(o) : Worker(o);
        var mode = o.GetValueOrDefault("mode", "all");
        if (mode is not ("all" or "train" or "comm"))
        {
            Console.Error.WriteLine($"dp: --mode {mode}: expected all, train or comm");
            return 2;
        }
        int rc = 0;
        if (mode is "all" or "train") rc |= LaunchTraining(args, o);
        if (mode is "all" or "comm") rc |= Launch([.. args.Where((a, i) => a != "--mode" && (i == 0 || args[i - 1] != "--mode"))], o);
        return rc;
    }

    // ---- training comparison ----

    private int LaunchTraining(string[] args, Dictionary<string, string> o)
    {
        int rounds = o.Int("rounds", 3), batch = o.Int("batch-size", 64);
        var passthrough = args.Where((a, i) => a != "--mode" && (i == 0 || args[i - 1] != "--mode")).ToArray();
        var load0 = LoadAverage();
        // CPU seconds per iteration, all processes of a configuration together: insensitive to other load on the machine.
        var cpu = new Dictionary<string, List<double>> { ["1x2"] = [], ["2x1"] = [], ["control"] = [] };
        var single = new List<double>();
        var parallel = new List<(double step, double comm)>();
        var control = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            // 1 process × 2 threads, the whole batch.
            var r1 = RunWorkers(passthrough, ["--mode", "train", "--threads", "2", "--batch-size", $"{batch}"], nproc: 1, torchrun: false);
            // 2 processes × 1 thread, data-parallel, the same global batch.
            var r2 = RunWorkers(passthrough, ["--mode", "train", "--threads", "1", "--batch-size", $"{batch}"], nproc: 2, torchrun: true);
            // Control: 2 independent processes × 1 thread × the local batch, at the same time, no communication.
            var rc = RunWorkers(passthrough, ["--mode", "train", "--threads", "1", "--batch-size", $"{batch / 2}"], nproc: 2, torchrun: false);
            if (r1 is null || r2 is null || rc is null) return 1;
            foreach (var (key, r) in new[] { ("1x2", r1), ("2x1", r2), ("control", rc) })
                cpu[key].Add(r.Sum(x => x.GetProperty("cpu_s_per_iter").GetDouble()));
            single.Add(r1[0].GetProperty("s_per_iter").GetDouble());
            parallel.Add((r2[0].GetProperty("s_per_iter").GetDouble(), r2[0].GetProperty("comm_s_per_iter").GetDouble()));
            control.Add(rc.Average(r => r.GetProperty("s_per_iter").GetDouble()));
            Console.Error.WriteLine($"dp round {round + 1}/{rounds} (load {LoadAverage()}): 1×2 threads {single[^1]:F3} s/iter, 2×1 thread {parallel[^1].step:F3} s/iter, control {control[^1]:F3} s/iter");
        }
        var load1 = LoadAverage();
        double t1 = Report.Median(single), t2 = Report.Median(parallel.Select(p => p.step)), tc = Report.Median(control);
        double timed = Report.Median(parallel.Select(p => p.comm));
        var context = new Dictionary<string, object>
        {
            ["ch"] = o.Int("ch", 16), ["resolution"] = o.Int("resolution", 32), ["global_batch"] = batch, ["d_steps"] = o.Int("d-steps", 2),
            ["cross_replica_bn"] = !o.ContainsKey("local-bn"), ["rounds"] = rounds, ["iterations_per_run"] = o.Int("iterations", 4),
            ["cores"] = Environment.ProcessorCount, ["loadavg_1m_before"] = load0, ["loadavg_1m_after"] = load1,
        };
        Dictionary<string, object> With(params (string k, object v)[] extra)
        {
            var d = new Dictionary<string, object>(context);
            foreach (var (k, v) in extra) d[k] = v;
            return d;
        }
        Report.Figure("dp_train_s_per_iter", t1, "s", With(("nproc", 1), ("threads_per_process", 2)));
        Report.Figure("dp_train_s_per_iter", t2, "s", With(("nproc", 2), ("threads_per_process", 1)));
        Report.Figure("dp_control_s_per_iter", tc, "s", With(("nproc", 2), ("threads_per_process", 1), ("what", "2 independent processes, local batch, no communication")));
        Report.Figure("dp_cpu_s_per_iter", Report.Median(cpu["1x2"]), "s", With(("nproc", 1), ("threads_per_process", 2), ("what", "CPU seconds per iteration, all processes")));
        Report.Figure("dp_cpu_s_per_iter", Report.Median(cpu["2x1"]), "s", With(("nproc", 2), ("threads_per_process", 1), ("what", "CPU seconds per iteration, all processes")));
        Report.Figure("dp_cpu_s_per_iter", Report.Median(cpu["control"]), "s", With(("nproc", 2), ("threads_per_process", 1), ("what", "CPU seconds per iteration, control (independent processes)")));
        Report.Figure("dp_throughput_ratio", t1 / t2, "x", With(("what", "2-process throughput / 1-process throughput at equal global batch")));
        // The least disturbed run of each configuration (other processes on the machine only ever slow a run down).
        double best1 = single.Min(), best2 = parallel.Min(p => p.step);
        Report.Figure("dp_throughput_ratio_best_runs", best1 / best2, "x", With(("what", "fastest 1-process run / fastest 2-process run over the rounds"),
            ("s_per_iter_1proc", Math.Round(best1, 4)), ("s_per_iter_2proc", Math.Round(best2, 4))));
        Report.Figure("comm_share_pct", 100 * Math.Max(0, t2 - tc) / t2, "%", With(("what", "(2-process step - independent control step) / 2-process step")));
        Report.Figure("comm_timed_share_pct", 100 * timed / t2, "%", With(("what", "gradient/loss averaging and stop vote, timed around the collectives"), ("comm_s_per_iter", Math.Round(timed, 4))));
        return 0;
    }

    /// <summary>Starts nproc workers of this program (with the torchrun variables when <paramref name="torchrun"/>)
    /// and returns each one's RESULT object, or null (after printing their errors) when one fails.</summary>
    private List<System.Text.Json.JsonElement>? RunWorkers(string[] args, string[] extra, int nproc, bool torchrun)
    {
        var port = LocalLaunch.FreeLoopbackPort();
        var (exe, prefix) = LocalLaunch.CurrentProgram();
        var children = new List<(Process p, Task<string> stdout, Task<string> stderr)>();
        for (int rank = 0; rank < nproc; rank++)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in prefix.Concat([Name, .. args, .. extra, "--worker"])) psi.ArgumentList.Add(a);
            if (torchrun)
                foreach (var (k, v) in new DistributedEnvironment("127.0.0.1", port, rank, nproc).ToEnvironment()) psi.Environment[k] = v;
            var p = Process.Start(psi)!;
            children.Add((p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync()));
        }
        var ok = true;
        foreach (var (p, _, _) in children)
        {
            if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Kill(entireProcessTree: true); ok = false; }
            else ok &= p.ExitCode == 0;
        }
        if (!ok)
        {
            for (int r = 0; r < children.Count; r++)
                Console.Error.WriteLine($"dp worker {r}: {children[r].stdout.Result.Trim()} {children[r].stderr.Result.Trim()}");
            return null;
        }
        var results = new List<System.Text.Json.JsonElement>();
        foreach (var (_, stdout, _) in children)
        {
            var line = stdout.Result.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            if (line is not null) results.Add(System.Text.Json.JsonDocument.Parse(line["RESULT ".Length..]).RootElement);
        }
        return results;
    }

    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>One training process: the data-parallel trainer when the torchrun variables say WORLD_SIZE &gt; 1, else
    /// a plain one. Prints "RESULT {s_per_iter, comm_s_per_iter}" (medians over the timed iterations).</summary>
    private static int TrainWorker(Dictionary<string, string> o)
    {
        int threads = o.Int("threads", 1), ch = o.Int("ch", 16), resolution = o.Int("resolution", 32), batch = o.Int("batch-size", 64);
        int dSteps = o.Int("d-steps", 2), iterations = o.Int("iterations", 4), warmup = o.Int("warmup", 1);
        torch.set_num_threads(threads);
        var model = BigGan.Training.Model.ModelConfig.Cifar(numClasses: 10, channels: 3, ch: ch) with { Resolution = resolution };
        var train = new BigGan.Training.Training.TrainConfig
        {
            BatchSize = batch, DSteps = dSteps, EmaStart = 0, Iterations = long.MaxValue, Seed = 0, Threads = threads,
            SaveEvery = long.MaxValue, SvLogEvery = 0, CrossReplicaBn = !o.ContainsKey("local-bn"),
        };
        var distributed = int.TryParse(Environment.GetEnvironmentVariable(DistributedEnvironment.WorldSizeVariable), out var ws) && ws > 1;
        var group = distributed ? BigGan.Training.Distributed.distributed.init_process_group("gloo", TimeSpan.FromMinutes(10)) : null;
        var runDir = Directory.CreateTempSubdirectory("biggan-dp-bench-").FullName;
        try
        {
            // Every rank draws the same global batches (same seed) and keeps its share.
            using var data = new RandomBatchSource(10, 3, resolution);
            using var trainer = new BigGan.Training.Training.BigGanTrainer(new BigGan.Training.Training.RunConfig(model, train), data, runDir, processGroup: group);
            for (int i = 0; i < warmup; i++) trainer.TrainStep();
            group?.barrier();
            var steps = new List<double>();
            var comm = new List<double>();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < iterations; i++)
            {
                var c0 = trainer.Parallel?.CommunicationTime ?? TimeSpan.Zero;
                var sw = Stopwatch.StartNew();
                trainer.TrainStep();
                steps.Add(sw.Elapsed.TotalSeconds);
                comm.Add(((trainer.Parallel?.CommunicationTime ?? TimeSpan.Zero) - c0).TotalSeconds);
            }
            Console.WriteLine("RESULT " + System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["s_per_iter"] = Report.Median(steps), ["comm_s_per_iter"] = Report.Median(comm),
                ["cpu_s_per_iter"] = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / iterations,
            }));
            return 0;
        }
        finally
        {
            if (group is not null) BigGan.Training.Distributed.distributed.destroy_process_group(group);
            Directory.Delete(runDir, recursive: true);
        }
    }

    // ---- communication alone: starts the ranks as child processes of this same program and relays rank 0's figures ----

    private int Launch(string[] args, Dictionary<string, string> o)
    {
        int nproc = o.Int("nproc", 2);
        var port = LocalLaunch.FreeLoopbackPort();
        var children = new List<(Process p, Task<string> stdout, Task<string> stderr)>();
        var (exe, prefix) = LocalLaunch.CurrentProgram();
        for (int rank = 0; rank < nproc; rank++)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in prefix.Concat([Name, .. args, "--worker"])) psi.ArgumentList.Add(a);
            var env = new DistributedEnvironment("127.0.0.1", port, rank, nproc).ToEnvironment();
            foreach (var (k, v) in env) psi.Environment[k] = v;
            var p = Process.Start(psi)!;
            children.Add((p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync()));
        }
        var ok = true;
        foreach (var (p, _, _) in children)
        {
            if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); ok = false; }
            else ok &= p.ExitCode == 0;
        }
        Console.Write(children[0].stdout.Result);
        if (!ok)
            for (int r = 0; r < children.Count; r++)
                Console.Error.WriteLine($"rank {r}: {children[r].stderr.Result.Trim()}");
        return ok ? 0 : 1;
    }

    // ---- one rank ----

    private int Worker(Dictionary<string, string> o)
    {
        torch.set_num_threads(o.Int("threads", 1));
        double seconds = o.Double("seconds", 0.5);
        double gradMb = o.Double("grad-mb", 2.6);
        var pg = BigGan.Training.Distributed.distributed.init_process_group("gloo", TimeSpan.FromSeconds(60));
        try { return Measure(pg, seconds, gradMb); }
        finally { BigGan.Training.Distributed.distributed.destroy_process_group(); }
    }

    private static int Measure(ProcessGroup pg, double seconds, double gradMb)
    {
        using var unchecked_ = new ProcessGroup(pg.store!, pg.rank(), pg.size(), "gloo", TimeSpan.FromSeconds(60), check_collectives: false);
        int rank = pg.rank(), world = pg.size();
        var context = new Dictionary<string, object>
        {
            ["nproc"] = world, ["backend"] = "gloo", ["transport"] = "tcp loopback", ["torch_threads"] = torch.get_num_threads(), ["loadavg_1m"] = LoadAverage(),
        };
        void Figure(string name, double value, string unit, params (string k, object v)[] extra)
        {
            if (rank != 0) return;
            var d = new Dictionary<string, object>(context);
            foreach (var (k, v) in extra) d[k] = v;
            Report.Figure(name, value, unit, d);
        }

        // Latency: one 4 KB allreduce, with and without the agreement check.
        var small = MedianMs(pg, seconds, () => { using var t = ones([1024], float32); pg.allreduce(t); });
        var smallRaw = MedianMs(pg, seconds, () => { using var t = ones([1024], float32); unchecked_.allreduce(t); });
        Figure("dp_allreduce_latency_ms", smallRaw, "ms", ("bytes", 4096), ("check_collectives", false));
        Figure("dp_check_overhead_ms", small - smallRaw, "ms", ("what", "agreement check per collective (one 16-byte allreduce)"));

        // Bandwidth: large single-buffer allreduce (the bucketed gradient allreduce sends buffers like these).
        foreach (var mb in new[] { 1, 4, 16 })
        {
            using var t = ones([mb * 262_144L], float32);
            var ms = MedianMs(pg, seconds, () => unchecked_.allreduce(t));
            Figure("dp_allreduce_ms_per_mb", ms / mb, "ms/MB", ("mb", mb));
            if (mb == 16) Figure("dp_allreduce_bandwidth_mb_s", mb / (ms / 1000), "MB/s", ("mb", mb), ("what", "buffer size / time (algorithm bandwidth)"));
        }

        // A gradient-sized list, bucketed as the trainer will do it (AVG, 25 MB buckets, agreement check on).
        using (var scope = NewDisposeScope())
        {
            var grads = GradientLikeList(gradMb);
            var total = grads.Sum(g => g.numel()) * 4 / 1e6;
            var ms = MedianMs(pg, seconds, () => pg.allreduce_coalesced(grads, ReduceOp.AVG));
            Figure("dp_grad_allreduce_ms", ms, "ms", ("mb", Math.Round(total, 2)), ("tensors", grads.Count), ("bucket_mb", ProcessGroup.DefaultBucketBytes / 1e6));
            var oneMb = MedianMs(pg, seconds, () => pg.allreduce_coalesced(grads, ReduceOp.AVG, bucket_bytes: 1 << 20));
            Figure("dp_grad_allreduce_1mb_buckets_ms", oneMb, "ms", ("mb", Math.Round(total, 2)), ("tensors", grads.Count), ("bucket_mb", 1.048576));
            using var flat = zeros([grads.Sum(g => g.numel())], float32);
            var raw = MedianMs(pg, seconds, () => unchecked_.allreduce(flat));
            Figure("dp_grad_allreduce_flat_ms", raw, "ms", ("mb", Math.Round(total, 2)), ("what", "one preflattened buffer, no check, no copies: the communication alone"));
            var one = MedianMs(pg, seconds, () => { foreach (var g in grads) pg.allreduce(g, ReduceOp.AVG); });
            Figure("dp_grad_allreduce_unbucketed_ms", one, "ms", ("mb", Math.Round(total, 2)), ("tensors", grads.Count), ("what", "one allreduce per tensor, for comparison"));
        }

        // Cross-replica batch norm vs local batch norm, forward + backward, on a G-sized activation.
        using (var scope = NewDisposeScope())
        {
            var x = randn([32, 64, 16, 16], float32).requires_grad_();
            var w = ones([64], float32, requires_grad: true);
            var b = zeros([64], float32, requires_grad: true);
            var rm = zeros([64]);
            var rv = ones([64]);
            void Step(bool sync)
            {
                using var s = NewDisposeScope();
                var y = sync ? distributed.sync_batch_norm(x, rm, rv, w, b, training: true, group: pg)
                             : nn.functional.batch_norm(x, rm, rv, w, b, training: true);
                y.sum().backward();
            }
            // Interleaved, so both see the same machine load.
            var pairs = new List<(double local, double sync)>();
            var sw = new Stopwatch();
            MedianMs(pg, seconds, () =>
            {
                sw.Restart(); Step(false); var l = sw.Elapsed.TotalMilliseconds;
                sw.Restart(); Step(true); pairs.Add((l, sw.Elapsed.TotalMilliseconds));
            });
            var local = Report.Median(pairs.Select(p => p.local));
            var synced = Report.Median(pairs.Select(p => p.sync));
            Figure("dp_sync_bn_overhead_ms", synced - local, "ms", ("shape", "32x64x16x16 float32, forward+backward"), ("local_bn_ms", Math.Round(local, 3)), ("sync_bn_ms", Math.Round(synced, 3)));
        }
        pg.barrier();
        return 0;
    }

    /// <summary>Median milliseconds of op over about <paramref name="seconds"/>; every rank runs the same number of
    /// repetitions (rank 0 decides, the others follow), since each repetition is a collective.</summary>
    private static double MedianMs(ProcessGroup pg, double seconds, Action op)
    {
        for (int i = 0; i < 3; i++) op();
        var sw = Stopwatch.StartNew();
        op();
        var once = Math.Max(sw.Elapsed.TotalSeconds, 1e-5);
        using var reps = full([1], Math.Clamp(Math.Ceiling(seconds / once), 5, 2000), float64);
        pg.broadcast(reps, 0);
        var n = (int)reps.ToDouble();
        pg.barrier();
        var times = new double[n];
        for (int i = 0; i < n; i++)
        {
            sw.Restart();
            op();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return Report.Median(times);
    }

    /// <summary>Parameter-shaped gradients totalling about <paramref name="mb"/> MB: mostly 3×3 convolutions of 64
    /// channels, 1×1 shortcuts, conditional-BN projections and small vectors, as in BigGAN ch 16 at 32×32.</summary>
    private static List<Tensor> GradientLikeList(double mb)
    {
        var list = new List<Tensor>();
        long bytes = 0, target = (long)(mb * 1e6);
        var shapes = new long[][] { [64, 64, 3, 3], [64, 64, 3, 3], [64, 64, 1, 1], [64, 148], [64, 148], [64], [64] };
        for (int i = 0; bytes < target; i++)
        {
            var s = shapes[i % shapes.Length];
            var t = randn(s, float32);
            list.Add(t);
            bytes += t.numel() * 4;
        }
        return list;
    }
}
