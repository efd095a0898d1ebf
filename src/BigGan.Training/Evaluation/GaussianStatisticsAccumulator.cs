using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Builds <see cref="GaussianStatistics"/> batch by batch, so features of many generated images never need to be
/// held at once. Sums are kept in float64 around a shift (the first batch's mean), which avoids the cancellation of
/// the naive Σxxᵀ - N μμᵀ formula when features have a large common offset.
/// </summary>
public sealed class GaussianStatisticsAccumulator : IDisposable
{
    private Tensor? _shift;   // [F]
    private Tensor? _sum;     // Σ (x - shift), [F]
    private Tensor? _outer;   // Σ (x - shift)(x - shift)ᵀ, [F, F]
    private long _count;

    public long Count => _count;

    /// <summary>Adds features [B, F] (any float dtype).</summary>
    public void Add(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var shape = features.shape;
        if (shape.Length != 2) throw new ArgumentException($"features must be 2-d [B, F], got shape [{string.Join(", ", shape)}]", nameof(features));
        if (_shift is not null && shape[1] != _shift.shape[0])
            throw new ArgumentException($"features have {shape[1]} dimensions but earlier batches had {_shift.shape[0]}", nameof(features));
        if (shape[0] == 0) return;
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = features.to(ScalarType.Float64);
        if (_shift is null)
        {
            _shift = x.mean([0]).DetachFromDisposeScope();
            _sum = torch.zeros([shape[1]], ScalarType.Float64).DetachFromDisposeScope();
            _outer = torch.zeros([shape[1], shape[1]], ScalarType.Float64).DetachFromDisposeScope();
        }
        var c = x - _shift;
        _sum!.add_(c.sum([0]));
        _outer!.add_(c.t().mm(c));
        _count += shape[0];
    }

    /// <summary>The statistics of everything added so far.</summary>
    public GaussianStatistics ToStatistics()
    {
        if (_count < 2) throw new InvalidOperationException($"{_count} sample(s) accumulated; a covariance needs at least 2");
        using var scope = torch.NewDisposeScope();
        var meanShifted = _sum! / (double)_count;
        // Σ(x-μ)(x-μ)ᵀ = Σ c cᵀ - N m mᵀ with c = x - shift and m = μ - shift
        var outerMean = meanShifted.unsqueeze(1).mm(meanShifted.unsqueeze(0)).mul_(_count);
        var cov = (_outer! - outerMean).div_(_count - 1);
        cov = (cov + cov.t()).mul_(0.5);
        var mean = meanShifted + _shift!;
        return new GaussianStatistics(mean.ToArray<double>(), cov.ToArray<double>(), _count);
    }

    public void Dispose()
    {
        _shift?.Dispose();
        _sum?.Dispose();
        _outer?.Dispose();
    }
}
