using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BigGan.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

// One rank of a distributed test: `BigGan.DistWorker <scenario> [--key value]...`, with the torchrun variables
// (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) in the environment. Prints "RESULT <json>" on stdout and exits 0, or
// prints "ERROR <type>: <message>" on stderr and exits 3. Every scenario is bounded in time.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: BigGan.DistWorker <collectives|syncbn|syncbn-dead-peer|loop|init|mismatch> [--timeout-ms N] [--key value]...");
    return 2;
}
var options = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
int Opt(string key, int def) => options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : def;

torch.set_num_threads(1);
var timeout = TimeSpan.FromMilliseconds(Opt("timeout-ms", 10_000));
try
{
    var result = args[0] switch
    {
        "collectives" => Scenarios.Collectives(timeout),
        "syncbn" => Scenarios.SyncBatchNorm(timeout, Opt("batch", 3), Opt("channels", 4), Opt("size", 3), (ulong)Opt("seed", 7)),
        "loop" => Scenarios.Loop(timeout, Opt("max-seconds", 60)),
        "init" => Scenarios.Init(timeout),
        "mismatch" => Scenarios.Mismatch(timeout),
        "syncbn-dead-peer" => Scenarios.SyncBatchNormDeadPeer(timeout),
        _ => throw new ArgumentException($"unknown scenario '{args[0]}'"),
    };
    Console.Out.WriteLine("RESULT " + JsonSerializer.Serialize(result));
    Console.Out.Flush();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"ERROR {e.GetType().Name}: {e.Message}");
    Console.Error.Flush();
    return 3;
}
finally
{
    distributed.destroy_process_group();
}

internal static class Scenarios
{
    public static Dictionary<string, object> Collectives(TimeSpan timeout)
    {
        var pg = distributed.init_process_group("gloo", timeout);
        int rank = distributed.get_rank(), world = distributed.get_world_size();
        var r = new Dictionary<string, object> { ["rank"] = rank, ["world"] = world, ["local_rank"] = distributed.get_local_rank() };
        using var scope = NewDisposeScope();

        var sum = full([4], rank + 1, float32);
        distributed.all_reduce(sum);
        r["sum"] = sum.data<float>().ToArray();

        var avg = tensor(new double[] { 2.0 * rank, 1.0, rank == 0 ? 10.0 : -10.0 });
        distributed.all_reduce(avg, ReduceOp.AVG);
        r["avg"] = avg.data<double>().ToArray();

        var ints = full([3], 10 * (rank + 1), int64);
        distributed.all_reduce(ints);
        r["int_sum"] = ints.data<long>().ToArray();

        // A non-contiguous view is reduced in place through a contiguous copy.
        var baseT = arange(0, 12, 1, float32).reshape(3, 4);
        var view = baseT.t();
        distributed.all_reduce(view);
        r["transposed_sum"] = baseT.data<float>().ToArray();

        var b0 = arange(0, 5, 1, float32).mul(rank + 1);
        distributed.broadcast(b0, 0);
        r["broadcast_from_0"] = b0.data<float>().ToArray();
        var bl = arange(0, 5, 1, float32).mul(rank + 1);
        distributed.broadcast(bl, world - 1);
        r["broadcast_from_last"] = bl.data<float>().ToArray();

        var sw = Stopwatch.StartNew();
        distributed.barrier();
        r["barrier_ms"] = sw.Elapsed.TotalMilliseconds;

        // Mixed dtypes and a tiny bucket size force several buckets, an empty tensor and a tensor larger than a bucket.
        var list = new List<Tensor>
        {
            full([3, 5], rank + 1, float32), full([7], 2 * (rank + 1), float64), full([100], rank, float32),
            zeros([0], float32), full([2, 2, 2], -(rank + 1), float32), full([1], 0.5 * rank, float64),
        };
        distributed.all_reduce_coalesced(list, ReduceOp.AVG, bucketBytes: 64);
        r["coalesced_avg"] = list.Select(t => t.dtype == float64 ? t.data<double>().ToArray() : t.data<float>().ToArray().Select(x => (double)x).ToArray()).ToArray();
        var list2 = new List<Tensor> { full([5], rank + 1, float32), full([3], rank + 1, float32) };
        distributed.all_reduce_coalesced(list2, ReduceOp.SUM);
        r["coalesced_sum"] = list2.Select(t => t.data<float>().ToArray()).ToArray();

        var bc = new List<Tensor> { full([4], rank + 1, float32), full([2, 3], 10 * (rank + 1), float64) };
        distributed.broadcast_coalesced(bc, src: world - 1, bucketBytes: 16);
        r["broadcast_coalesced"] = bc.Select(t => t.dtype == float64 ? t.data<double>().ToArray() : t.data<float>().ToArray().Select(x => (double)x).ToArray()).ToArray();

        // The rendezvous store doubles as a small key-value exchange.
        pg.store!.set($"hello/{rank}", $"from rank {rank}");
        r["store"] = Enumerable.Range(0, world).Select(i => pg.store.get_string($"hello/{i}")).ToArray();

        // Bad arguments are rejected before any communication, so the group stays usable.
        try { distributed.broadcast(full([1], 1, float32), world); r["bad_src"] = "no error"; }
        catch (ArgumentOutOfRangeException e) { r["bad_src"] = e.Message; }
        try { distributed.all_reduce(full([2], 1, int64), ReduceOp.AVG); r["int_avg"] = "no error"; }
        catch (ArgumentException e) { r["int_avg"] = e.Message; }
        distributed.barrier();
        return r;
    }

    /// <summary>Each rank normalises its shard [rank*B, (rank+1)*B) of one global batch made from a fixed seed.</summary>
    public static Dictionary<string, object> SyncBatchNorm(TimeSpan timeout, int batch, int channels, int size, ulong seed)
    {
        distributed.init_process_group("gloo", timeout);
        int rank = distributed.get_rank(), world = distributed.get_world_size();
        using var scope = NewDisposeScope();
        var g = SyncBatchNormData.Make(world * batch, channels, size, seed);
        var x = g.X.narrow(0, rank * batch, batch).detach().requires_grad_();
        var weight = g.Weight.detach().requires_grad_();
        var bias = g.Bias.detach().requires_grad_();
        var rm = g.RunningMean;
        var rv = g.RunningVar;
        // Two training steps: the running statistics must follow the global batch both times.
        var y = distributed.sync_batch_norm(x, rm, rv, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        var y2 = distributed.sync_batch_norm(x.mul(2.0), rm, rv, weight, bias, training: true, momentum: 0.1, eps: 1e-5);
        var gy = g.GradOut.narrow(0, rank * batch, batch);
        var loss = y.mul(gy).sum().add(y2.mul(gy).sum().mul(0.5));
        loss.backward();
        var eval = distributed.sync_batch_norm(x.detach(), rm, rv, weight, bias, training: false);
        return new Dictionary<string, object>
        {
            ["rank"] = rank,
            ["y"] = y.detach().data<double>().ToArray(),
            ["y2"] = y2.detach().data<double>().ToArray(),
            ["eval"] = eval.detach().data<double>().ToArray(),
            ["running_mean"] = rm.data<double>().ToArray(),
            ["running_var"] = rv.data<double>().ToArray(),
            ["grad_x"] = x.grad!.data<double>().ToArray(),
            ["grad_weight"] = weight.grad!.data<double>().ToArray(),
            ["grad_bias"] = bias.grad!.data<double>().ToArray(),
        };
    }

    /// <summary>Allreduces in a loop, printing each step, until killed, failed, or out of time.</summary>
    public static Dictionary<string, object> Loop(TimeSpan timeout, int maxSeconds)
    {
        distributed.init_process_group("gloo", timeout);
        var sw = Stopwatch.StartNew();
        int step = 0;
        while (sw.Elapsed.TotalSeconds < maxSeconds)
        {
            using var scope = NewDisposeScope();
            var t = ones([1000], float32);
            distributed.all_reduce(t);
            Console.Out.WriteLine($"step {++step}");
            Console.Out.Flush();
            Thread.Sleep(20);
        }
        return new Dictionary<string, object> { ["steps"] = step };
    }

    /// <summary>A programming error: the ranks allreduce tensors of different sizes. Gloo's own error must come back
    /// as an exception (or the collective times out), never a crash or a hang.</summary>
    public static Dictionary<string, object> Mismatch(TimeSpan timeout)
    {
        distributed.init_process_group("gloo", timeout);
        using var t = ones([distributed.get_rank() == 0 ? 4 : 4096], float32);
        distributed.all_reduce(t);
        return new Dictionary<string, object> { ["result"] = t.data<float>().ToArray().Take(4).ToArray() };
    }

    /// <summary>Rank 1 leaves after the forward pass of a cross-replica batch norm, so rank 0's backward pass cannot
    /// communicate. That failure happens inside libtorch's autograd engine, where it must not abort the process: the
    /// gradient comes back NaN and the next collective throws it.</summary>
    public static Dictionary<string, object> SyncBatchNormDeadPeer(TimeSpan timeout)
    {
        distributed.init_process_group("gloo", timeout);
        int rank = distributed.get_rank();
        using var scope = NewDisposeScope();
        var x = randn([4, 3, 2, 2], float32).requires_grad_();
        var y = distributed.sync_batch_norm(x, null, null, training: true);
        if (rank != 0) return new Dictionary<string, object> { ["rank"] = rank, ["left"] = true };
        y.mul(2.0).add(x).sum().backward(); // the peer is gone: the allreduce inside the backward pass fails
        var gradIsNaN = x.grad!.isnan().all().item<bool>();
        string next;
        try
        {
            distributed.barrier();
            next = "no error";
        }
        catch (DistributedException e) { next = e.Message; }
        return new Dictionary<string, object> { ["rank"] = rank, ["grad_is_nan"] = gradIsNaN, ["next"] = next };
    }

    public static Dictionary<string, object> Init(TimeSpan timeout)
    {
        distributed.init_process_group("gloo", timeout);
        distributed.barrier();
        return new Dictionary<string, object> { ["rank"] = distributed.get_rank(), ["world"] = distributed.get_world_size() };
    }
}
