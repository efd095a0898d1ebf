using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>
/// Exponential moving average of a source module (G) kept in a target module of the same architecture (G_ema), over
/// parameters AND persistent buffers (BN running statistics, spectral-norm vectors), as the reference does: before
/// <see cref="StartStep"/> the target is an exact copy of the source; from it on, target = decay·target + (1 − decay)·source.
/// Integer and boolean buffers (counters) are copied, never averaged. The set of tensors is the one a state_dict saves,
/// so a checkpointed G_ema resumes exactly. The target never needs gradients; the class does not change that flag.
/// </summary>
public sealed class Ema
{
    private readonly (string name, Tensor source, Tensor target, bool average)[] _pairs;

    public double Decay { get; }

    public long StartStep { get; }

    /// <summary>
    /// Pairs the tensors of <paramref name="source"/> and <paramref name="target"/> by name and, when
    /// <paramref name="copyNow"/>, copies the source into the target (the reference initialises the copy the same way).
    /// When resuming, build the Ema before loading the checkpoint (the load then overwrites G_ema), or pass
    /// <paramref name="copyNow"/> = false.
    /// </summary>
    /// <exception cref="ArgumentException">the two modules differ in names, shapes, dtypes or devices (all listed).</exception>
    public Ema(torch.nn.Module source, torch.nn.Module target, double decay = 0.9999, long startStep = 0, bool copyNow = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(source, target)) throw new ArgumentException("the EMA target must be a separate module, not the source itself", nameof(target));
        if (!(decay >= 0 && decay <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must be in [0, 1]");
        if (startStep < 0) throw new ArgumentOutOfRangeException(nameof(startStep), startStep, "EMA start step must be >= 0");
        Decay = decay;
        StartStep = startStep;

        var src = Tensors(source);
        var dst = Tensors(target);
        var problems = new List<string>();
        var missing = src.Keys.Where(k => !dst.ContainsKey(k)).ToList();
        var extra = dst.Keys.Where(k => !src.ContainsKey(k)).ToList();
        if (missing.Count > 0) problems.Add($"missing in the target: {string.Join(", ", missing)}");
        if (extra.Count > 0) problems.Add($"only in the target: {string.Join(", ", extra)}");
        var pairs = new List<(string, Tensor, Tensor, bool)>();
        foreach (var (name, s) in src)
        {
            if (!dst.TryGetValue(name, out var t)) continue;
            if (!s.shape.SequenceEqual(t.shape))
                problems.Add($"{name}: source [{string.Join(", ", s.shape)}], target [{string.Join(", ", t.shape)}]");
            else if (s.dtype != t.dtype)
                problems.Add($"{name}: source {s.dtype}, target {t.dtype}");
            else if (s.device_type != t.device_type || s.device_index != t.device_index)
                problems.Add($"{name}: source on {s.device}, target on {t.device}");
            else
                pairs.Add((name, s, t, s.dtype.IsFloatingPoint()));
        }
        if (problems.Count > 0)
            throw new ArgumentException($"EMA target {target.GetType().Name} does not match source {source.GetType().Name}: {string.Join("; ", problems)}", nameof(target));
        _pairs = pairs.ToArray();
        if (copyNow) CopySourceToTarget();
    }

    // The module's own tensor objects (parameters keep their identity through Module.to, buffers are registered once).
    private static OrderedDictionary<string, Tensor> Tensors(torch.nn.Module m)
    {
        var d = new OrderedDictionary<string, Tensor>();
        foreach (var (n, p) in m.named_parameters()) d.Add(n, p);
        foreach (var (n, b) in m.named_buffers(include_nonpersistent: false)) d.Add(n, b);
        return d;
    }

    /// <summary>Names of the tensors that are averaged (floating point) and of those that are copied (integer/bool).</summary>
    public IReadOnlyList<string> AveragedNames => _pairs.Where(p => p.average).Select(p => p.name).ToArray();

    public IReadOnlyList<string> CopiedNames => _pairs.Where(p => !p.average).Select(p => p.name).ToArray();

    /// <summary>The decay the update at <paramref name="step"/> uses: 0 (exact copy) before the start step, else <see cref="Decay"/>.</summary>
    public double DecayAt(long step) => step < StartStep ? 0 : Decay;

    /// <summary>
    /// Blends the source into the target after G's optimizer step. <paramref name="step"/> is the reference's <c>itr</c>
    /// in <c>ema.update(itr)</c>: the number of G updates done, counting this one (1 after the first update), so with
    /// start step S the updates 1 … S−1 copy and the S-th is the first average. Returns the decay used.
    /// </summary>
    public double Update(long step)
    {
        var decay = DecayAt(step);
        if (decay == 0)
        {
            CopySourceToTarget();
            return 0;
        }
        using var _ = torch.no_grad();
        foreach (var (_, s, t, average) in _pairs)
        {
            if (average) t.lerp_(s, 1 - decay);
            else t.copy_(s);
        }
        return decay;
    }

    /// <summary>Makes the target an exact copy of the source.</summary>
    public void CopySourceToTarget()
    {
        using var _ = torch.no_grad();
        foreach (var (_, s, t, _) in _pairs) t.copy_(s);
    }
}
