using TorchSharp;
using BigGan.Training.Model;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>A copy of every batch-norm statistic of a generator (cBN and output BN <c>stored_mean</c>/<c>stored_var</c>),
/// to put back after standing statistics replaced them.</summary>
public sealed class BatchNormSnapshot : IDisposable
{
    private readonly List<(Tensor live, Tensor saved)> _buffers = new();

    private BatchNormSnapshot(Model.Generator g)
    {
        using var _ = no_grad();
        foreach (var (bn, _) in StandingStatistics.Layers(g))
        {
            _buffers.Add((bn.stored_mean, bn.stored_mean.clone().DetachFromDisposeScope()));
            _buffers.Add((bn.stored_var, bn.stored_var.clone().DetachFromDisposeScope()));
        }
    }

    /// <summary>Copies the generator's current statistics.</summary>
    public static BatchNormSnapshot Take(Model.Generator g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return new BatchNormSnapshot(g);
    }

    /// <summary>Writes the copied statistics back into the generator they came from.</summary>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(_buffers.Count > 0 && _buffers[0].saved.IsInvalid, this);
        using var _ = no_grad();
        foreach (var (live, saved) in _buffers) live.copy_(saved);
    }

    public void Dispose()
    {
        foreach (var (_, saved) in _buffers) saved.Dispose();
    }
}
