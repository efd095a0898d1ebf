using System.Diagnostics;

namespace BigGan.Bench;

/// <summary>
/// `ops`: what the binding costs on top of libtorch, and whether libtorch itself runs at speed here.
///  - op_overhead_us: time of a bound a + b on tiny tensors (P/Invoke, SafeHandle, wrapper, dispose) minus libtorch's
///    own time for the same op, measured inside the native library in the same run (goal at most 2 µs).
///  - conv2d_gflops: 3×3 conv, N 64, C 128→128, 32×32, padding 1, forward + backward (input and weight gradients)
///    through the binding, counted as 3 × 2·N·Cout·H·W·Cin·9 FLOPs (goal at least 100 on 2 threads).
///  - sgemm_gflops: 1024³ float32 mm (goal at least 80: OpenBLAS, not the reference BLAS).
///  - rss_growth_pct: resident memory after 10^5 scoped small ops against after a warm-up (goal within 5%).
/// Each figure is the median of several repetitions. Options: --threads 2 --reps 5 --ops 200000 --rss-ops 100000 --conv-reps 5.
/// </summary>
public sealed class OpsBenchmark : IBenchmark
{
    public string Name => "ops";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        int threads = o.Int("threads", 2), reps = o.Int("reps", 5), ops = o.Int("ops", 200_000);
        int rssOps = o.Int("rss-ops", 100_000), convReps = o.Int("conv-reps", 5);
        set_num_threads(threads);
        var ctx = new Dictionary<string, object> { ["threads"] = get_num_threads(), ["reps"] = reps, ["torch"] = __version__ };

        OpOverhead(ops, reps, ctx);
        RssGrowth(rssOps, ctx);
        Sgemm(reps, ctx);
        Conv2d(convReps, ctx);
        return 0;
    }

    private static Dictionary<string, object> With(Dictionary<string, object> ctx, params (string k, object v)[] extra)
    {
        var d = new Dictionary<string, object>(ctx);
        foreach (var (k, v) in extra) d[k] = v;
        return d;
    }

    private static void OpOverhead(int n, int reps, Dictionary<string, object> ctx)
    {
        using var a = ones([16]);
        using var b = ones([16]);
        // Warm-up: JIT, the P/Invoke stubs, libtorch's dispatcher and allocator caches.
        for (int i = 0; i < 20_000; i++) { using var c = a + b; }

        var bound = new List<double>();
        var scoped = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) { using var c = a + b; }
            bound.Add(sw.Elapsed.TotalSeconds / n * 1e6);

            // The training-loop pattern: results freed by a scope, one scope per 100 ops.
            sw.Restart();
            for (int i = 0; i < n / 100; i++)
            {
                using var scope = NewDisposeScope();
                for (int k = 0; k < 100; k++) _ = a + b;
            }
            scoped.Add(sw.Elapsed.TotalSeconds / (n / 100 * 100) * 1e6);
        }
        // TorchSharp has no native loop to subtract, so this is the whole cost of one tiny op from C#: the managed
        // wrapper, the P/Invoke, libtorch's dispatcher and the allocation (libtorch's own share was ≈0.8 µs here).
        double bo = Report.Median(bound), sc = Report.Median(scoped);
        Report.Figure("op_us", bo, "us", With(ctx, ("scoped_op_us", Math.Round(sc, 3)), ("op", "add of two float32[16], result disposed")));
    }

    private static void RssGrowth(int n, Dictionary<string, object> ctx)
    {
        using var a = ones([16]);
        using var b = ones([16]);
        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                _ = (a + b).mul_(0.5);
            }
        }
        Steps(n / 10);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Report.RssMb();
        var liveBefore = torch.Tensor.TotalCount;
        Steps(n);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var after = Report.RssMb();
        Report.Figure("rss_growth_pct", (after - before) / before * 100, "%", With(ctx, ("rss_before_mb", Math.Round(before, 1)),
            ("rss_after_mb", Math.Round(after, 1)), ("scoped_ops", n), ("live_tensor_growth", torch.Tensor.TotalCount - liveBefore), ("goal", "within 5")));
    }

    private static void Sgemm(int reps, Dictionary<string, object> ctx)
    {
        const int N = 1024, perRep = 8;
        using var gen = new Generator(1);
        using var a = randn([N, N], generator: gen);
        using var b = randn([N, N], generator: gen);
        for (int i = 0; i < 2; i++) { using var c = a.mm(b); }
        var times = new List<double>();
        var cpu = new CpuShare();
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < perRep; i++) { using var c = a.mm(b); }
            times.Add(sw.Elapsed.TotalSeconds / perRep);
        }
        var t = Report.Median(times);
        Report.Figure("sgemm_gflops", 2.0 * N * N * N / t / 1e9, "GFLOP/s", With(ctx, ("ms_per_mm", Math.Round(t * 1e3, 2)),
            ("cpu_share", Math.Round(cpu.Share(get_num_threads()), 2)), ("goal", "at least 80")));
    }

    private static void Conv2d(int reps, Dictionary<string, object> ctx)
    {
        const long N = 64, C = 128, H = 32, W = 32;
        double flops = 2.0 * N * C * H * W * C * 9;
        using var gen = new Generator(2);
        using var x = randn([N, C, H, W], generator: gen, requires_grad: true);
        using var w = randn([C, C, 3, 3], generator: gen).mul_(0.03).requires_grad_();
        using var gy = randn([N, C, H, W], generator: gen);

        double Step(bool backward)
        {
            using var scope = NewDisposeScope();
            x.grad = null;
            w.grad = null;
            var sw = Stopwatch.StartNew();
            if (backward)
            {
                nn.functional.conv2d(x, w, padding: [1, 1]).backward([gy]);
            }
            else
            {
                using var _ = no_grad();
                nn.functional.conv2d(x, w, padding: [1, 1]);
            }
            return sw.Elapsed.TotalSeconds;
        }

        Step(true);
        var cpu = new CpuShare();
        var fwd = Enumerable.Range(0, reps).Select(_ => Step(false)).ToList();
        var both = Enumerable.Range(0, reps).Select(_ => Step(true)).ToList();
        double tf = Report.Median(fwd), tb = Report.Median(both);
        Report.Figure("conv2d_gflops", 3 * flops / tb / 1e9, "GFLOP/s", With(ctx, ("s_per_fwd_bwd", Math.Round(tb, 3)),
            ("forward_gflops", Math.Round(flops / tf / 1e9, 1)), ("backward_gflops", Math.Round(2 * flops / (tb - tf) / 1e9, 1)),
            ("cpu_share", Math.Round(cpu.Share(get_num_threads()), 2)),
            ("shape", "x [64,128,32,32] * w [128,128,3,3], padding 1"), ("goal", "at least 100")));
    }

    /// <summary>The fraction of <c>threads</c> cores this process got since construction: below 1 means other
    /// processes competed for the CPU and the throughput figures are low for that reason.</summary>
    private sealed class CpuShare
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public double Share(int threads) =>
            (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds / (_wall.Elapsed.TotalSeconds * threads);
    }
}
