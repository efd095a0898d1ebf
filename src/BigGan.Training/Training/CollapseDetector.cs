namespace BigGan.Training.Training;

/// <summary>What a run does when <see cref="CollapseDetector"/> sees a collapse.</summary>
public enum CollapseAction
{
    /// <summary>Record the detection in the JSON log and go on.</summary>
    Log,

    /// <summary>Record it and stop with the diagnosis (<see cref="TrainingCollapsedException"/>).</summary>
    Stop,

    /// <summary>Record it, restore the last checkpoint from before the onset, lower both learning rates, go on.</summary>
    Rollback,
}

/// <summary>A detected collapse: the step it was seen at, the step the evidence starts at, and why.</summary>
public sealed record CollapseDiagnosis(long Step, long OnsetStep, string Reason);

/// <summary>
/// Watches the signals the trainer logs for the onset of a training collapse (Brock et al. 2018, section 4: the top
/// singular values of G's layers explode and D overpowers G just before the samples collapse). Two rules, either
/// one fires, and neither before <see cref="Window"/> steps have been seen (since the start or the last
/// <see cref="Reset"/>):
/// <list type="number">
/// <item>σ explosion: some spectrally-normalised layer of G has a top singular value more than
/// <see cref="SigmaJump"/> times its median over the preceding <see cref="Window"/> steps (healthy runs drift by a few
/// percent over such a window; a collapsing one jumps several-fold within tens of steps);</item>
/// <item>D wins: D's loss (real + fake) averaged over the last quarter window is below <see cref="DLossFloor"/>
/// (hinge losses sit near 1–2 while the players are balanced; near 0 D separates every real image from every fake).</item>
/// </list>
/// </summary>
public sealed class CollapseDetector
{
    private readonly Queue<(long step, double dLoss)> _losses = new();
    private readonly Queue<(long step, IReadOnlyDictionary<string, double> sv)> _singularValues = new();
    private long _firstStep = -1;

    public CollapseDetector(int window = 200, double sigmaJump = 2.0, double dLossFloor = 0.05)
    {
        if (window < 8) throw new ArgumentOutOfRangeException(nameof(window), window, "the collapse window must be at least 8 steps");
        if (!(sigmaJump > 1) || double.IsInfinity(sigmaJump)) throw new ArgumentOutOfRangeException(nameof(sigmaJump), sigmaJump, "the σ jump factor must be a finite number > 1");
        if (!(dLossFloor >= 0) || double.IsInfinity(dLossFloor)) throw new ArgumentOutOfRangeException(nameof(dLossFloor), dLossFloor, "the D loss floor must be a finite number >= 0");
        (Window, SigmaJump, DLossFloor) = (window, sigmaJump, dLossFloor);
    }

    public int Window { get; }
    public double SigmaJump { get; }
    public double DLossFloor { get; }

    private int Recent => Math.Max(2, Window / 4);

    /// <summary>
    /// Takes one step's D losses and, when logged at that step, the top singular values ("G.&lt;layer&gt;" and
    /// "D.&lt;layer&gt;" as <see cref="BigGanTrainer.SingularValues"/> names them). Returns a diagnosis when a rule fires.
    /// </summary>
    public CollapseDiagnosis? Observe(long step, double dLossReal, double dLossFake, IReadOnlyDictionary<string, double>? singularValues)
    {
        if (_firstStep < 0) _firstStep = step;
        _losses.Enqueue((step, dLossReal + dLossFake));
        while (_losses.Count > Recent) _losses.Dequeue();
        CollapseDiagnosis? found = null;
        bool warm = step - _firstStep >= Window;
        if (singularValues is not null)
        {
            if (warm) found = SigmaExplosion(step, singularValues);
            _singularValues.Enqueue((step, singularValues));
            while (_singularValues.Count > 0 && _singularValues.Peek().step <= step - Window) _singularValues.Dequeue();
        }
        if (found is null && warm && _losses.Count == Recent)
        {
            var mean = _losses.Average(l => l.dLoss);
            if (mean < DLossFloor)
                found = new CollapseDiagnosis(step, _losses.Peek().step,
                    $"D's loss (real + fake) averaged {mean:G3} over steps {_losses.Peek().step}–{step}, below {DLossFloor:G3}: D separates real from fake completely");
        }
        return found;
    }

    private CollapseDiagnosis? SigmaExplosion(long step, IReadOnlyDictionary<string, double> now)
    {
        if (_singularValues.Count < 3) return null;
        (string layer, double ratio, double median) worst = ("", 0, 0);
        foreach (var (name, value) in now)
        {
            if (!name.StartsWith("G.", StringComparison.Ordinal)) continue;
            var history = _singularValues.Select(s => s.sv.TryGetValue(name, out var v) ? v : double.NaN).Where(double.IsFinite).Order().ToArray();
            if (history.Length < 3) continue;
            var median = history[history.Length / 2];
            if (median > 0 && value / median > worst.ratio) worst = (name, value / median, median);
        }
        return worst.ratio > SigmaJump
            ? new CollapseDiagnosis(step, _singularValues.Peek().step,
                $"the top singular value of {worst.layer} jumped to {worst.ratio:F1}× its median ({worst.median:G4}) over steps {_singularValues.Peek().step}–{step}")
            : null;
    }

    /// <summary>Forgets everything seen (after a rollback the run starts a new window).</summary>
    public void Reset()
    {
        _losses.Clear();
        _singularValues.Clear();
        _firstStep = -1;
    }
}

/// <summary>A collapse was detected and the run was told to stop (<see cref="CollapseAction.Stop"/>, or rollbacks ran out).</summary>
public sealed class TrainingCollapsedException(CollapseDiagnosis diagnosis, string? lastCheckpoint, string? advice = null)
    : Exception($"training collapsed at step {diagnosis.Step}: {diagnosis.Reason}. " +
                (advice ?? (lastCheckpoint is null ? "No checkpoint had been written yet." : $"The last checkpoint is {lastCheckpoint}; resume from a checkpoint before step {diagnosis.OnsetStep}, e.g. with lower learning rates, or train with --on-collapse rollback.")))
{
    public CollapseDiagnosis Diagnosis { get; } = diagnosis;
}
