using System.Globalization;
using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Mean and covariance (float64) of a set of feature vectors: what FID compares. The covariance is the unbiased
/// sample covariance (divided by N - 1), as numpy.cov and the reference implementations use. Statistics of a real
/// data set can be computed once, saved (safetensors: mu, sigma) and reused.
/// </summary>
public sealed class GaussianStatistics
{
    public const string FormatName = "biggan-gaussian-statistics";

    /// <summary>Mean, length <see cref="Dimension"/>.</summary>
    public double[] Mean { get; }

    /// <summary>Covariance, row-major <see cref="Dimension"/>×<see cref="Dimension"/>, symmetric.</summary>
    public double[] Covariance { get; }

    /// <summary>Number of samples behind the estimate.</summary>
    public long Count { get; }

    public int Dimension => Mean.Length;

    public GaussianStatistics(double[] mean, double[] covariance, long count)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        if (mean.Length == 0) throw new ArgumentException("statistics need at least one feature dimension", nameof(mean));
        if (covariance.LongLength != (long)mean.Length * mean.Length)
            throw new ArgumentException($"covariance has {covariance.Length} elements; a {mean.Length}-d mean needs {(long)mean.Length * mean.Length}", nameof(covariance));
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "a covariance needs at least 2 samples");
        if (mean.Any(v => !double.IsFinite(v)) || covariance.Any(v => !double.IsFinite(v)))
            throw new ArgumentException("statistics contain NaN or infinite values (check the feature network's output)");
        Mean = mean;
        Covariance = covariance;
        Count = count;
    }

    /// <summary>Statistics of features [N, F] (N ≥ 2), computed in float64.</summary>
    public static GaussianStatistics FromFeatures(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var shape = features.shape;
        if (shape.Length != 2) throw new ArgumentException($"features must be 2-d [N, F], got shape [{string.Join(", ", shape)}]", nameof(features));
        if (shape[0] < 2) throw new ArgumentException($"features hold {shape[0]} sample(s); a covariance needs at least 2", nameof(features));
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = features.to(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x - mean;
        var cov = centred.t().mm(centred).div_(shape[0] - 1);
        return new GaussianStatistics(mean.ToArray<double>(), cov.ToArray<double>(), shape[0]);
    }

    // ---- persistence ----

    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var mu = torch.tensor(Mean);
        using var sigma = torch.tensor(Covariance, [Dimension, Dimension]);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = FormatName,
            ["count"] = Count.ToString(CultureInfo.InvariantCulture),
        };
        Safetensors.Save(new Dictionary<string, Tensor> { ["mu"] = mu, ["sigma"] = sigma }, path, meta);
    }

    public static GaussianStatistics Load(string path)
    {
        var (tensors, metadata) = Safetensors.Load(path);
        try
        {
            if (!metadata.TryGetValue("format", out var format) || format != FormatName)
                throw new InvalidDataException($"{path} does not hold Gaussian feature statistics (metadata format is '{format ?? "missing"}', expected '{FormatName}')");
            if (!tensors.TryGetValue("mu", out var mu) || !tensors.TryGetValue("sigma", out var sigma))
                throw new InvalidDataException($"{path} lacks the tensors 'mu' and 'sigma'");
            if (mu.dtype != ScalarType.Float64 || sigma.dtype != ScalarType.Float64 || mu.dim() != 1 || !sigma.shape.SequenceEqual([mu.shape[0], mu.shape[0]]))
                throw new InvalidDataException($"{path}: expected float64 mu [F] and sigma [F, F], got mu {mu} and sigma {sigma}");
            if (!metadata.TryGetValue("count", out var c) || !long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw new InvalidDataException($"{path}: metadata 'count' is missing or not an integer");
            return new GaussianStatistics(mu.ToArray<double>(), sigma.ToArray<double>(), count);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
