using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using BigGan.Training.Model;
using static TorchSharp.torch;

namespace BigGan.Training.Training;

/// <summary>
/// The data-parallel side of <see cref="BigGanTrainer"/>: W processes (ranks) of one c10d process group train one
/// model on one global batch, each on 1/W of it, so that W ranks × batch B take the same steps as 1 process × batch W·B.
/// <list type="bullet">
/// <item>Start: parameters and buffers of G, D and G_ema are broadcast from rank 0 (also after a resume), then the
/// replicas are checked for agreement (<see cref="CheckReplicasAgree"/>).</item>
/// <item>Batches: every rank walks the same global batches (reals from its batch source, z and classes from the shared
/// seeded generator) and keeps rows <c>rank, rank + W, rank + 2W, …</c> of each (<see cref="Shard"/>). The global batch
/// is thus the same whatever W. A sharded batch source (<see cref="Data.BatchSourceOptions.ShardCount"/> = W) reads
/// and decodes only its rank's rows; an unsharded one returns the whole batch and the trainer keeps the rank's rows.</item>
/// <item>Gradients: before every optimizer step of G and D, the gradients are averaged over the ranks in buckets
/// (<see cref="AverageGradients"/>); with identical replicas and identical averaged gradients every rank takes the
/// same Adam step, so weights, EMA and spectral-norm vectors stay identical without further traffic.</item>
/// <item>Batch norm: with cross-replica BN, G's conditional BNs and output BN normalise with global batch statistics
/// (<see cref="distributed.sync_batch_norm"/>); without it each rank normalises with its local statistics,
/// which is not the same computation as one process with the whole batch, and the running statistics (read only in
/// eval mode) drift apart between ranks: they are averaged over the ranks before every save.</item>
/// <item>Output: only rank 0 writes (checkpoints, logs, sample sheets); the others wait at a barrier.</item>
/// </list>
/// Every rank must make the same calls in the same order (each is a collective).
/// </summary>
public sealed class DataParallel
{
    private readonly Stopwatch _communication = new();

    /// <param name="group">The ranks training together (at least 2 in practice; 1 works and only adds overhead).</param>
    /// <param name="crossReplicaBatchNorm">Whether G's batch norms use global batch statistics (see <see cref="Start"/>).</param>
    public DataParallel(ProcessGroup group, bool crossReplicaBatchNorm = true)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.IsDisposed) throw new ObjectDisposedException(nameof(group), "the process group is already disposed");
        Group = group;
        CrossReplicaBatchNorm = crossReplicaBatchNorm;
    }

    public ProcessGroup Group { get; }

    public bool CrossReplicaBatchNorm { get; }

    public int Rank => Group.rank();

    public int WorldSize => Group.size();

    /// <summary>Rank 0: the only rank that writes files.</summary>
    public bool IsMaster => Rank == 0;

    /// <summary>Time spent in this class's collectives (broadcasts, gradient and loss averaging, votes, checks,
    /// barriers), waits for slower ranks included. Cross-replica BN communicates inside the model and is not counted.</summary>
    public TimeSpan CommunicationTime => _communication.Elapsed;

    /// <summary>Number of gradient averages done (one per optimizer step).</summary>
    public long GradientAverages { get; private set; }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> unless the global batch sizes divide by the world size: every rank
    /// gets an equal share, so the gradient average equals the mean over the global batch.
    /// </summary>
    public static void CheckBatchSizes(TrainConfig train, int worldSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        if (train.BatchSize % worldSize != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"TrainConfig.BatchSize = {train.BatchSize} does not divide by the number of processes ({worldSize}): the batch size is the global batch of all processes together, " +
                $"each takes an equal share; use a multiple of {worldSize} such as {RoundUp(train.BatchSize, worldSize)}"));
        if (train.EffectiveGBatchSize % worldSize != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"TrainConfig.GBatchSize = {train.GBatchSize} (effective G batch {train.EffectiveGBatchSize}) does not divide by the number of processes ({worldSize}): " +
                $"use a multiple of {worldSize} such as {RoundUp(train.EffectiveGBatchSize, worldSize)}"));
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Joins the replicas at the start of training (or after a resume): G's batch norms become cross-replica when so
    /// configured, every parameter and buffer is overwritten with rank 0's, and the whole state is checked for agreement.
    /// </summary>
    public void Start(TrainingState state, string when)
    {
        ArgumentNullException.ThrowIfNull(state);
        UseCrossReplicaBatchNorm(state.G, CrossReplicaBatchNorm);
        BroadcastFromMaster(state.G, state.D, state.GEma);
        CheckReplicasAgree(state, when);
    }

    /// <summary>Before a checkpoint: running BN statistics averaged over the ranks (without cross-replica BN), then
    /// the agreement check.</summary>
    public void BeforeSave(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!CrossReplicaBatchNorm) AverageBatchNormStatistics(state.G, state.GEma);
        CheckReplicasAgree(state, "before saving a checkpoint");
    }

    /// <summary>Makes every batch-norm layer of <paramref name="module"/> cross-replica over this group (or local again when off).</summary>
    public void UseCrossReplicaBatchNorm(nn.Module module, bool enabled = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (_, bn) in module.BatchNormLayers()) bn.CrossReplicaGroup = enabled ? Group : null;
    }

    /// <summary>Overwrites every parameter and buffer of the modules with rank 0's, in buckets.</summary>
    public void BroadcastFromMaster(params nn.Module?[] modules)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tensors = new List<Tensor>();
        foreach (var m in modules)
        {
            if (m is null) continue;
            tensors.AddRange(m.parameters());
            tensors.AddRange(m.buffers());
        }
        Communicate(() => Group.broadcast_coalesced(tensors, src: 0));
    }

    /// <summary>
    /// Averages the running statistics of every batch-norm layer over the ranks. Without cross-replica BN they follow
    /// each rank's own share of the batch; averaged, they are identical again and estimate the statistics of the global
    /// batch (the mean exactly, the variance less the spread of the means between ranks). Training-mode forwards never
    /// read them, so the weights are not affected.
    /// </summary>
    public void AverageBatchNormStatistics(params nn.Module?[] modules)
    {
        using var scope = NewDisposeScope();
        var stats = new List<Tensor>();
        foreach (var m in modules)
            if (m is not null)
                foreach (var (_, bn) in m.BatchNormLayers())
                {
                    stats.Add(bn.stored_mean);
                    stats.Add(bn.stored_var);
                }
        if (stats.Count > 0) Communicate(() => Group.allreduce_coalesced(stats, ReduceOp.AVG));
    }

    /// <summary>This rank's rows of a global batch (first dimension): rows rank, rank + W, rank + 2W, … (a view).</summary>
    public Tensor Shard(Tensor global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var n = global.shape[0];
        if (n % WorldSize != 0)
            throw new ArgumentException($"a global batch of {n} rows does not split into {WorldSize} equal shards", nameof(global));
        return global.slice(0, Rank, n, WorldSize);
    }

    /// <summary>
    /// Averages the gradients of the module's trainable parameters over all ranks (bucketed allreduce, AVG). A
    /// trainable parameter without a gradient gets a zero one first, so every rank reduces the same list.
    /// </summary>
    public void AverageGradients(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        var grads = new List<Tensor>();
        foreach (var p in module.parameters())
        {
            if (!p.requires_grad) continue;
            var g = p.grad;
            if (g is null)
            {
                p.grad = zeros_like(p);
                g = p.grad!;
            }
            grads.Add(g);
        }
        Communicate(() => Group.allreduce_coalesced(grads, ReduceOp.AVG));
        GradientAverages++;
    }

    /// <summary>The losses averaged over the ranks: the loss of the global batch, as one process would log it.</summary>
    public StepLosses AverageLosses(StepLosses local)
    {
        var v = Average(local.GLoss, local.DLossReal, local.DLossFake);
        return new StepLosses(v[0], v[1], v[2]);
    }

    /// <summary>Each value averaged over the ranks (e.g. batch means of this rank's share: the global batch's mean).</summary>
    public double[] Average(params double[] local)
    {
        using var t = tensor(local);
        Communicate(() => Group.allreduce(t, ReduceOp.AVG));
        return t.ToArray<double>();
    }

    /// <summary>True on every rank when any rank votes true (e.g. to stop: a time limit or a cancellation that
    /// one rank sees first must stop all of them at the same step).</summary>
    public bool Any(bool vote)
    {
        using var t = tensor(new[] { vote ? 1.0 : 0.0 });
        Communicate(() => Group.allreduce(t, ReduceOp.SUM));
        return t.ToDouble() > 0;
    }

    /// <summary>Several votes in one collective: element i is true on every rank when any rank voted true for it.</summary>
    public bool[] Any(params bool[] votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        using var t = tensor(votes.Select(v => v ? 1.0 : 0.0).ToArray());
        Communicate(() => Group.allreduce(t, ReduceOp.SUM));
        return t.ToArray<double>().Select(v => v > 0).ToArray();
    }

    public void Barrier() => Communicate(() => Group.barrier());

    /// <summary>
    /// Checks that every rank holds the same training state: G, D and G_ema (parameters and buffers: spectral-norm
    /// vectors, BN statistics), both optimizers, the random generators, the data position and the step. Each rank
    /// hashes its copy; rank 0's hashes are broadcast and compared; the verdict is shared, so every rank throws the
    /// same <see cref="InvalidOperationException"/> naming what differs on which ranks.
    /// </summary>
    public void CheckReplicasAgree(TrainingState state, string when)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var items = new List<(string name, long hash)>
        {
            ("G", Hash(state.G.state_dict())),
            ("D", Hash(state.D.state_dict())),
            ("G_ema", state.GEma is null ? 0 : Hash(state.GEma.state_dict())),
            ("G optimizer", Hash(AdamState.Save(state.GOptimizer))),
            ("D optimizer", Hash(AdamState.Save(state.DOptimizer))),
            ("random generators", Hash(state.Rngs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => Bytes(kv.Value.get_state())))),
            ("data position", Hash([Encoding.UTF8.GetBytes(state.Data?.SaveState() ?? "")])),
            ("step", state.Step),
        };
        int n = items.Count, world = WorldSize;
        var reference = tensor(items.Select(i => i.hash).ToArray());
        Communicate(() => Group.broadcast(reference, 0));
        var theirs = reference.ToArray<long>();
        var differs = new long[n * world];
        for (int i = 0; i < n; i++) differs[i * world + Rank] = theirs[i] != items[i].hash ? 1 : 0;
        var verdict = tensor(differs);
        Communicate(() => Group.allreduce(verdict, ReduceOp.SUM));
        var all = verdict.ToArray<long>();
        var problems = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var ranks = Enumerable.Range(0, world).Where(r => all[i * world + r] != 0).ToList();
            if (ranks.Count > 0) problems.Add($"{items[i].name} on rank(s) {string.Join(", ", ranks)}");
        }
        if (problems.Count > 0)
            throw new InvalidOperationException(
                $"data-parallel replicas disagree {when} (step {state.Step}): {string.Join("; ", problems)} differ(s) from rank 0. " +
                "Every process must run the same version with the same configuration, seed, data and checkpoint; the run stops here rather than save a diverged state.");
    }

    private void Communicate(Action collective)
    {
        _communication.Start();
        try { collective(); }
        finally { _communication.Stop(); }
    }

    // ---- hashing (exact bytes: any difference, even in the last bit, counts) ----

    private static long Hash(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var h = new Fnv();
        foreach (var (name, t) in tensors)
        {
            h.Add(Encoding.UTF8.GetBytes(name));
            h.Add(Bytes(t));
        }
        return h.Value;
    }

    private static long Hash(IEnumerable<byte[]> chunks)
    {
        var h = new Fnv();
        foreach (var c in chunks) h.Add(c);
        return h.Value;
    }

    private static byte[] Bytes(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().contiguous().bytes.ToArray();
    }

    /// <summary>FNV-1a over 64-bit words (bytes for the tail): fast enough for checkpoint-sized data.</summary>
    private struct Fnv()
    {
        private ulong _h = 14695981039346656037UL;

        public void Add(ReadOnlySpan<byte> data)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(data);
            foreach (var w in words) _h = (_h ^ w) * 1099511628211UL;
            foreach (var b in data[(words.Length * 8)..]) _h = (_h ^ b) * 1099511628211UL;
            _h = (_h ^ (ulong)data.Length) * 1099511628211UL;
        }

        public readonly long Value => unchecked((long)_h);
    }
}
