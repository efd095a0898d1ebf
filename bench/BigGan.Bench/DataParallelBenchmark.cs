using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using BigGan.Torch;
using static BigGan.Torch.torch;

namespace BigGan.Bench;

/// <summary>
/// Data-parallel communication costs between 2 local processes on loopback (Gloo over TCP), so the communication
/// share of a data-parallel step can be estimated: allreduce latency and time per MB, the bucketed allreduce of a
/// gradient-sized list (BigGAN ch 16 at 32×32 is roughly 0.65 M parameters, ≈ 2.6 MB of float32 gradients for G and
/// D together), the cost of the per-collective agreement check, and the extra cost of cross-replica batch norm.
/// The end-to-end dp_throughput_ratio needs the trainer and is not measured here.
/// Options: --nproc 2, --grad-mb 2.6, --threads 1 (torch threads per process), --seconds 0.5 (per figure).
/// </summary>
public sealed class DataParallelBenchmark : IBenchmark
{
    public string Name => "dp";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        return o.ContainsKey("worker") ? Worker(o) : Launch(args, o);
    }

    // ---- launcher: starts the ranks as child processes of this same program and relays rank 0's figures ----

    private int Launch(string[] args, Dictionary<string, string> o)
    {
        int nproc = o.Int("nproc", 2);
        var port = FreePort();
        var children = new List<(Process p, Task<string> stdout, Task<string> stderr)>();
        var (exe, prefix) = SelfCommand();
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

    private static (string exe, string[] prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = Assembly.GetEntryAssembly()!.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, [dll]) : (process, []);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    // ---- one rank ----

    private int Worker(Dictionary<string, string> o)
    {
        torch.set_num_threads(o.Int("threads", 1));
        double seconds = o.Double("seconds", 0.5);
        double gradMb = o.Double("grad-mb", 2.6);
        var pg = distributed.init_process_group("gloo", TimeSpan.FromSeconds(60));
        try { return Measure(pg, seconds, gradMb); }
        finally { distributed.destroy_process_group(); }
    }

    private static int Measure(ProcessGroup pg, double seconds, double gradMb)
    {
        using var unchecked_ = new ProcessGroup(pg.store!, pg.rank(), pg.size(), "gloo", TimeSpan.FromSeconds(60), check_collectives: false);
        int rank = pg.rank(), world = pg.size();
        var context = new Dictionary<string, object>
        {
            ["nproc"] = world, ["backend"] = "gloo", ["transport"] = "tcp loopback", ["torch_threads"] = torch.get_num_threads(),
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
        var n = (int)reps.item<double>();
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
