using System.Diagnostics;
using TorchSharp;
using BigGan.Training.Data;
using BigGan.Training.Model;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Training;

/// <summary>Losses of one training iteration (the D losses are those of its last D step).</summary>
public readonly record struct StepLosses(double GLoss, double DLossReal, double DLossFake);

/// <summary>Why <see cref="BigGanTrainer.Train"/> returned.</summary>
public enum TrainStopReason
{
    /// <summary>All <see cref="TrainConfig.Iterations"/> are done.</summary>
    Completed,

    /// <summary><see cref="TrainConfig.MaxMinutes"/> passed.</summary>
    TimeLimit,

    /// <summary>The cancellation token was cancelled (on this rank or another one).</summary>
    Cancelled,
}

/// <summary>What a progress display needs after each iteration.</summary>
public readonly record struct TrainProgress(long Step, long Iterations, StepLosses Losses, double SecondsPerStep, TimeSpan Elapsed);

/// <summary>
/// BigGAN training as the paper and the reference implementation do it. One iteration (<see cref="TrainStep"/>):
/// <list type="number">
/// <item>D steps (<see cref="TrainConfig.DSteps"/>): G frozen and run without a graph (still in train mode, so its BN
/// statistics and spectral-norm vectors update, as in the reference); D sees fakes and reals in one forward pass;
/// hinge loss; losses divided over <see cref="TrainConfig.DAccumulations"/>; optional modified orthogonal regularization; Adam.</item>
/// <item>One G step: D frozen; <see cref="TrainConfig.EffectiveGBatchSize"/> samples per accumulation; G's
/// orthogonal regularization excludes the shared class embedding; Adam.</item>
/// <item>EMA of G (parameters and buffers), a copy before <see cref="TrainConfig.EmaStart"/>.</item>
/// </list>
/// z ~ N(0, I) and classes ~ uniform are drawn from a seeded generator that is checkpointed with everything else, so a
/// resumed run continues bit for bit. A NaN or Inf loss stops the run before any weight is updated with it.
/// <para>
/// Given a process group of several ranks, training is data-parallel (<see cref="DataParallel"/>): each rank takes its
/// share of every global batch, gradients are averaged before every optimizer step, and only rank 0 writes files.
/// </para>
/// </summary>
public sealed class BigGanTrainer : IDisposable
{
    private readonly IBatchSource _data;
    private readonly Adam _gOpt, _dOpt;
    private readonly Ema? _ema;
    private readonly Rng _sampler;
    private readonly TrainingState _state;
    private readonly TrainingLog? _log;
    private readonly DataParallel? _dp;
    private readonly DiffAugmentPolicy _augment;
    private readonly LeCam? _lecam;
    private readonly CollapseDetector _collapse;
    private int _rollbacks;
    private CheckpointInfo? _lastCheckpoint;
    private long _lastSavedStep = -1;

    public RunConfig Config { get; private set; }
    public string RunDir { get; }
    public Model.Generator G { get; }
    public Discriminator D { get; }

    /// <summary>The EMA generator; null when <see cref="TrainConfig.UseEma"/> is off.</summary>
    public Model.Generator? GEma { get; }

    /// <summary>The data-parallel mechanics when training with several processes; null in a single process.</summary>
    public DataParallel? Parallel => _dp;

    /// <summary>Whether this process writes the run's files (rank 0, or the only process).</summary>
    public bool IsMaster => _dp?.IsMaster ?? true;

    /// <summary>The generator to sample from: the EMA copy when kept, else G.</summary>
    public Model.Generator SamplingGenerator => GEma ?? G;

    /// <summary>The newest checkpoint this trainer wrote or resumed from (null on ranks other than 0 and before the first save).</summary>
    public CheckpointInfo? LastCheckpoint => _lastCheckpoint;

    /// <summary>Completed iterations (G updates).</summary>
    public long Step => _state.Step;

    private Action<string>? Warning { get; }

    /// <summary>Raised after each checkpoint is written (e.g. to write a sample sheet next to it).</summary>
    public event Action<CheckpointInfo>? CheckpointSaved;

    /// <summary>
    /// Builds G, D, G_ema and the optimizers from the configuration. With <paramref name="resume"/>, loads the latest
    /// intact checkpoint of <paramref name="runDir"/> (<see cref="Checkpoint.LoadLatestIntact"/>: damaged or non-finite
    /// newer ones are skipped with a warning); without, refuses a folder that already holds checkpoints.
    /// With a <paramref name="processGroup"/> of several ranks, every rank builds the trainer with the same arguments
    /// (resuming, each loads the checkpoint: the run folder must be readable by all; only rank 0 writes to it), and
    /// <see cref="TrainConfig.BatchSize"/> is the global batch, which must divide by the number of ranks.
    /// <paramref name="warning"/> is told what resuming had to work around (damaged checkpoints it skipped).
    /// </summary>
    public BigGanTrainer(RunConfig config, IBatchSource data, string runDir, bool resume = false, ProcessGroup? processGroup = null, Action<string>? warning = null)
    {
        Warning = warning;
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        Config = config.Validate();
        var (m, t) = (config.Model, config.Train);
        if (data.NumClasses != m.NumClasses || data.Channels != m.Channels || data.Resolution != m.Resolution)
            throw new ArgumentException(
                $"the data ({data.NumClasses} classes, {data.Channels} channel(s), {data.Resolution}×{data.Resolution}) does not fit the model " +
                $"({m.NumClasses} classes, {m.Channels} channel(s), {m.Resolution}×{m.Resolution})", nameof(data));
        CheckRunFolder(runDir, resume);
        if (processGroup is { } pg && pg.size() > 1)
        {
            DataParallel.CheckBatchSizes(t, pg.size());
            _dp = new DataParallel(pg, t.CrossReplicaBn);
        }
        if (data.ShardCount != 1 && data.ShardCount != (_dp?.WorldSize ?? 1))
            throw new ArgumentException($"the batch source is sharded for {data.ShardCount} processes but this run has {_dp?.WorldSize ?? 1}: " +
                                        "shard it by the number of processes (ShardIndex = rank), or not at all", nameof(data));

        _data = data;
        RunDir = runDir;
        if (IsMaster) Directory.CreateDirectory(runDir);
        if (t.Threads > 0) set_num_threads(t.Threads);
        manual_seed((long)t.Seed);

        using (var init = new Rng(t.Seed))
        {
            G = new Model.Generator(m, init);
            D = new Discriminator(m, init);
            if (t.UseEma)
            {
                GEma = new Model.Generator(m, init, skipInit: true);
                RequiresGrad.Set(GEma, false);
                _ema = new Ema(G, GEma, t.EmaDecay, t.EmaStart);
            }
        }
        _gOpt = new Adam(G.parameters(), t.GLr, t.GBetas.Beta1, t.GBetas.Beta2, t.AdamEps);
        _dOpt = new Adam(D.parameters(), t.DLr, t.DBetas.Beta1, t.DBetas.Beta2, t.AdamEps);
        _sampler = new Rng(unchecked(t.Seed * 0x9E3779B97F4A7C15UL + 1));
        _state = new TrainingState
        {
            G = G, D = D, GEma = GEma, GOptimizer = _gOpt, DOptimizer = _dOpt, Data = data,
            Rngs = new Dictionary<string, Rng> { ["sampler"] = _sampler },
            ConfigJson = config.ToJson(),
        };
        _augment = t.DiffAugmentPolicy;
        _collapse = new CollapseDetector(t.CollapseWindow);
        if (t.Lecam > 0) _lecam = new LeCam(t.Lecam, t.LecamDecay, t.LecamStart);
        if (resume)
        {
            _lastCheckpoint = Checkpoint.LoadLatestIntact(runDir, _state, message => Warning?.Invoke(message)).Checkpoint;
            _lastSavedStep = _lastCheckpoint.Step;
            _lecam?.LoadFrom(_lastCheckpoint.Metadata, _lastCheckpoint.Path);
        }
        if (IsMaster)
        {
            config.Save(Path.Combine(runDir, RunConfig.FileName));
            _log = new TrainingLog(runDir, keepUpToStep: resume ? Step : null);
        }
        _dp?.Start(_state, resume ? "after loading the checkpoint" : "at the start");
    }

    /// <summary>One iteration: the D steps, one G step, the EMA update. Returns the losses.</summary>
    public StepLosses TrainStep()
    {
        var (dReal, dFake) = TrainDiscriminator();
        var gLoss = TrainGenerator();
        _state.Step++;
        _ema?.Update(Step);
        var losses = new StepLosses(gLoss, dReal, dFake);
        return _dp?.AverageLosses(losses) ?? losses;
    }

    /// <summary>Refuses to start a new run in a folder that holds one, or to resume a folder that holds none (by
    /// checkpoint folder names: a damaged checkpoint still marks a run, and resuming skips it for an intact one).
    /// Cheap, so a command can call it before loading any data.</summary>
    public static void CheckRunFolder(string runDir, bool resume)
    {
        var existing = Checkpoint.Folders(runDir);
        if (!resume && existing.Count > 0)
            throw new InvalidOperationException($"{runDir} already holds a training run (checkpoint at step {existing[0].step}); resume it or choose another output folder");
        if (resume && existing.Count == 0)
            throw new InvalidOperationException($"cannot resume: {runDir} holds no checkpoint");
    }

    /// <summary>The D half of an iteration: <see cref="TrainConfig.DSteps"/> updates of D with G frozen. Returns the last
    /// D losses (of this rank's share in a data-parallel run).</summary>
    public (double real, double fake) TrainDiscriminator()
    {
        var t = Config.Train;
        using var scope = NewDisposeScope();
        long bs = t.BatchSize / (_dp?.WorldSize ?? 1);
        RequiresGrad.Toggle(D, G);
        // One loader batch feeds every D step and accumulation of the iteration, as in the reference.
        var (reals, labels) = _data.Next(t.BatchSize * t.DSteps * t.DAccumulations);
        if (_dp is not null && _data.ShardCount == 1) (reals, labels) = (_dp.Shard(reals), _dp.Shard(labels)); // else the source did
        var realChunks = reals.split(bs);
        var labelChunks = labels.split(bs);
        double dReal = 0, dFake = 0;
        for (int s = 0, k = 0; s < t.DSteps; s++)
        {
            _dOpt.zero_grad();
            for (int a = 0; a < t.DAccumulations; a++, k++)
            {
                var (z, y) = SampleLatents(t.BatchSize);
                Tensor fake;
                using (no_grad()) fake = G.forward(z, y);
                var scores = D.forward(cat([Augment(fake), Augment(realChunks[k])]), cat([y, labelChunks[k]])).split(bs);
                var (lossReal, lossFake) = Losses.Discriminator(scores[1], scores[0], t.Loss);
                (dReal, dFake) = (lossReal.ToDouble(), lossFake.ToDouble());
                TrainingDivergedException.ThrowIfNotFinite([new("D_loss_real", dReal), new("D_loss_fake", dFake)], Step + 1, _lastCheckpoint?.Path);
                var loss = lossReal.add(lossFake);
                if (_lecam is not null) loss = loss.add(LeCamPenalty(scores[1], scores[0]));
                loss.div_(t.DAccumulations).backward();
            }
            _dp?.AverageGradients(D);
            if (t.DOrtho > 0) OrthogonalRegularization.Apply(D, t.DOrtho);
            _dOpt.step();
        }
        return (dReal, dFake);
    }

    /// <summary>The G half of an iteration: one update of G with D frozen. Returns the G loss.</summary>
    public double TrainGenerator()
    {
        var t = Config.Train;
        using var scope = NewDisposeScope();
        RequiresGrad.Toggle(G, D);
        _gOpt.zero_grad();
        double gLoss = 0;
        for (int a = 0; a < t.GAccumulations; a++)
        {
            var (z, y) = SampleLatents(t.EffectiveGBatchSize);
            var loss = Losses.Generator(D.forward(Augment(G.forward(z, y)), y), t.Loss);
            gLoss = loss.ToDouble();
            TrainingDivergedException.ThrowIfNotFinite("G_loss", gLoss, Step + 1, _lastCheckpoint?.Path);
            loss.div_(t.GAccumulations).backward();
        }
        _dp?.AverageGradients(G);
        if (t.GOrtho > 0) OrthogonalRegularization.Apply(G, t.GOrtho, IsSharedEmbedding);
        _gOpt.step();
        return gLoss;
    }

    // DiffAugment of images D is about to see; the parameters come from the latent generator (saved with every
    // checkpoint), drawn for the global batch so that data-parallel ranks augment as one process would.
    private Tensor Augment(Tensor images) =>
        DiffAugment.Apply(images, _augment, _sampler, _dp?.Rank ?? 0, _dp?.WorldSize ?? 1);

    // The LeCam averages follow the global batch's mean outputs (identical on every rank), then the penalty.
    private Tensor LeCamPenalty(Tensor dReal, Tensor dFake)
    {
        double realMean, fakeMean;
        using (no_grad()) (realMean, fakeMean) = (dReal.mean().ToDouble(), dFake.mean().ToDouble());
        if (_dp is not null)
        {
            var global = _dp.Average(realMean, fakeMean);
            (realMean, fakeMean) = (global[0], global[1]);
        }
        _lecam!.Update(realMean, fakeMean, Step);
        return _lecam.Penalty(dReal, dFake);
    }

    // The paper excludes the shared class embedding from G's orthogonal regularization.
    private static bool IsSharedEmbedding(string parameterName) => parameterName.StartsWith("shared.", StringComparison.Ordinal);

    // n is the global count: data-parallel ranks draw the same global latents and keep their share.
    private (Tensor z, Tensor y) SampleLatents(long n)
    {
        var (z, y) = (randn([n, Config.Model.DimZ], generator: _sampler), randint(0, Config.Model.NumClasses, [n], generator: _sampler));
        return _dp is null ? (z, y) : (_dp.Shard(z), _dp.Shard(y));
    }

    /// <summary>
    /// Trains until <see cref="TrainConfig.Iterations"/>, the time limit, or cancellation; logs every step, saves every
    /// <see cref="TrainConfig.SaveEvery"/> steps and at the end. Cancellation is looked at between steps: the current
    /// step finishes, then the checkpoint is written. Returns why training stopped (in a data-parallel run the same on
    /// every rank: a cancellation on one rank stops them all at the same step).
    /// </summary>
    public TrainStopReason Train(IProgress<TrainProgress>? progress = null, CancellationToken cancellation = default)
    {
        var t = Config.Train;
        var clock = Stopwatch.StartNew();
        var deadline = t.MaxMinutes > 0 ? TimeSpan.FromMinutes(t.MaxMinutes) : TimeSpan.MaxValue;
        var reason = TrainStopReason.Completed;
        while (Step < t.Iterations)
        {
            reason = ShouldStop(cancellation.IsCancellationRequested, clock.Elapsed >= deadline);
            if (reason != TrainStopReason.Completed) break;
            var start = clock.Elapsed;
            var losses = TrainStep();
            var seconds = (clock.Elapsed - start).TotalSeconds;
            var singularValues = t.SvLogEvery > 0 && Step % t.SvLogEvery == 0 ? SingularValues() : null;
            if (Step % t.LogEvery == 0)
                _log?.Write(Step, new Dictionary<string, double>
                {
                    ["G_loss"] = losses.GLoss, ["D_loss_real"] = losses.DLossReal, ["D_loss_fake"] = losses.DLossFake,
                }, seconds, singularValues);
            progress?.Report(new TrainProgress(Step, t.Iterations, losses, seconds, clock.Elapsed));
            // Losses are averaged over ranks and weights are in sync, so every rank diagnoses (and rolls back) alike.
            // After a rollback the step's save and evaluation belong to weights that are gone.
            if (_collapse.Observe(Step, losses.DLossReal, losses.DLossFake, singularValues) is { } collapse && RolledBack(collapse)) continue;
            if (Step % t.SaveEvery == 0) SaveCheckpoint();
            if (_evaluation is { } e && Step % e.every == 0) Evaluate(e);
        }
        if (_lastSavedStep != Step) SaveCheckpoint();
        return reason;
    }

    private const int MaxRollbacks = 3;

    /// <summary>Logs a detected collapse and acts on it as <see cref="TrainConfig.OnCollapse"/> says; true when the
    /// run was rolled back to an earlier checkpoint.</summary>
    private bool RolledBack(CollapseDiagnosis collapse)
    {
        var t = Config.Train;
        _collapse.Reset();
        if (t.OnCollapse == CollapseAction.Log)
        {
            _log?.WriteEvent(Step, "collapse", collapse.Reason + " (logged only: --on-collapse log)", new Dictionary<string, double> { ["onset_step"] = collapse.OnsetStep });
            return false;
        }
        var healthy = t.OnCollapse == CollapseAction.Rollback
            ? Checkpoint.List(RunDir, CheckpointKind.Regular).LastOrDefault(c => c.Step < collapse.OnsetStep)
            : null;
        if (healthy is null || _rollbacks >= MaxRollbacks)
        {
            var why = t.OnCollapse == CollapseAction.Stop ? null
                : healthy is null ? $"No checkpoint from before step {collapse.OnsetStep} is left to roll back to (save more often with --save-every, keep more with --num-save-copies)."
                : $"It collapsed again after {MaxRollbacks} rollbacks; the learning rates are now {t.GLr:G3} (G) and {t.DLr:G3} (D).";
            _log?.WriteEvent(Step, "collapse", collapse.Reason + " (stopped)", new Dictionary<string, double> { ["onset_step"] = collapse.OnsetStep });
            throw new TrainingCollapsedException(collapse, _lastCheckpoint?.Path, why);
        }

        // Back to the last checkpoint before the onset with both learning rates lowered; the lowered rates become the
        // run's configuration (saved with every checkpoint from now on and in config.json), so a resume keeps them.
        var from = Step;
        var loaded = Checkpoint.Load(healthy.Path, _state, allowConfigChanges: true);
        _lecam?.LoadFrom(loaded.Checkpoint.Metadata, loaded.Checkpoint.Path);
        var lowered = t with { GLr = t.GLr * t.CollapseLrFactor, DLr = t.DLr * t.CollapseLrFactor };
        Config = Config with { Train = lowered };
        _state.ConfigJson = Config.ToJson();
        foreach (var (optimizer, lr) in new[] { (_gOpt, lowered.GLr), (_dOpt, lowered.DLr) })
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        _rollbacks++;
        _lastCheckpoint = loaded.Checkpoint;
        _lastSavedStep = Step;
        if (IsMaster) Config.Save(Path.Combine(RunDir, RunConfig.FileName));
        _log?.WriteEvent(from, "rollback", $"{collapse.Reason}; rolled back to the checkpoint of step {Step} ({healthy.Path}) with learning rates × {t.CollapseLrFactor}",
            new Dictionary<string, double> { ["onset_step"] = collapse.OnsetStep, ["to_step"] = Step, ["g_lr"] = lowered.GLr, ["d_lr"] = lowered.DLr, ["rollback"] = _rollbacks });
        _dp?.CheckReplicasAgree(_state, "after the collapse rollback");
        return true;
    }

    private (string name, Func<Model.Generator, double> score, long every, bool higherIsBetter)? _evaluation;

    /// <summary>
    /// Scores the sampling generator every <paramref name="every"/> steps during <see cref="Train"/> (e.g. FID with a
    /// feature network), logs the score and keeps the best checkpoint by it (<see cref="Checkpoint.SaveBest"/>,
    /// <see cref="TrainConfig.NumBestCopies"/> copies). In a data-parallel run every rank calls this, only rank 0
    /// calls <paramref name="score"/> and writes, and the others wait for it at those steps. The score must leave the
    /// generator as it found it (sampling in eval mode does).
    /// </summary>
    public void EvaluateEvery(long every, string metricName, Func<Model.Generator, double> score, bool higherIsBetter = false)
    {
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "evaluation interval must be at least 1 step");
        ArgumentException.ThrowIfNullOrEmpty(metricName);
        ArgumentNullException.ThrowIfNull(score);
        _evaluation = (metricName, score, every, higherIsBetter);
    }

    private void Evaluate((string name, Func<Model.Generator, double> score, long every, bool higherIsBetter) e)
    {
        if (IsMaster)
        {
            var value = e.score(SamplingGenerator);
            _log?.Write(Step, new Dictionary<string, double>(), 0, extra: new Dictionary<string, double> { [e.name] = value });
            _lecam?.SaveTo(_state.Metadata);
            var best = Checkpoint.SaveBest(RunDir, _state, e.name, value, e.higherIsBetter, Config.Train.NumBestCopies);
            if (best is not null) CheckpointSaved?.Invoke(best);
        }
        _dp?.Barrier();
    }

    // Ranks stop together: one that reaches the time limit or is cancelled first stops all of them at the same step
    // (one collective per step carries both votes); a cancellation anywhere wins over a time limit.
    private TrainStopReason ShouldStop(bool cancelled, bool timeUp)
    {
        if (_dp is not null)
        {
            var votes = _dp.Any(cancelled, timeUp);
            (cancelled, timeUp) = (votes[0], votes[1]);
        }
        return cancelled ? TrainStopReason.Cancelled : timeUp ? TrainStopReason.TimeLimit : TrainStopReason.Completed;
    }

    /// <summary>Top singular value of every spectrally normalised layer of G and D, by "G.name" / "D.name".</summary>
    public IReadOnlyDictionary<string, double> SingularValues()
    {
        var result = new Dictionary<string, double>();
        foreach (var (name, value) in G.SingularValues()) result["G." + name] = value;
        foreach (var (name, value) in D.SingularValues()) result["D." + name] = value;
        return result;
    }

    /// <summary>
    /// Writes a checkpoint now (rotating old ones) and raises <see cref="CheckpointSaved"/>. In a data-parallel run
    /// every rank calls it: the replicas are checked for agreement, rank 0 writes while the others wait, and only rank 0
    /// gets the checkpoint (null elsewhere).
    /// </summary>
    public CheckpointInfo? SaveCheckpoint()
    {
        _dp?.BeforeSave(_state);
        _lastSavedStep = Step;
        _lecam?.SaveTo(_state.Metadata);
        if (IsMaster)
        {
            _lastCheckpoint = Checkpoint.Save(RunDir, _state, Config.Train.NumSaveCopies);
            CheckpointSaved?.Invoke(_lastCheckpoint);
        }
        _dp?.Barrier();
        return IsMaster ? _lastCheckpoint : null;
    }

    public void Dispose()
    {
        _log?.Dispose();
        _gOpt.Dispose();
        _dOpt.Dispose();
        _sampler.Dispose();
        G.Dispose();
        D.Dispose();
        GEma?.Dispose();
    }
}
