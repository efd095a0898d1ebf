using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// Inception-Score-style score (Salimans et al. 2016) from a classifier's class probabilities:
/// exp(E_x KL(p(y|x) ‖ p(y))), where p(y) is the mean prediction over the split. It ranges from 1 (every image gets
/// the same prediction) to the number of classes (confident, evenly spread predictions). With several splits the
/// samples are cut into contiguous equal parts, as in the reference implementations, and the mean and standard
/// deviation (population, as numpy.std) of the per-split scores are returned. Computed in float64.
/// </summary>
public static class InceptionScore
{
    /// <summary>Rows must be probability vectors (non-negative, summing to 1 within 1e-3).</summary>
    public static (double mean, double std) FromProbabilities(Tensor probabilities, int splits = 1)
    {
        var (p, n, k) = Read(probabilities);
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                var v = p[i * k + j];
                if (!(v >= 0) || double.IsInfinity(v))
                    throw new ArgumentException($"row {i} holds {v}, not a probability; pass softmax outputs (or use FromLogits)", nameof(probabilities));
                sum += v;
            }
            if (Math.Abs(sum - 1) > 1e-3)
                throw new ArgumentException($"row {i} sums to {sum}, not 1; pass softmax outputs (or use FromLogits)", nameof(probabilities));
        }
        return Score(p, n, k, splits);
    }

    /// <summary>The score from unnormalised logits [N, K] (softmax taken in float64).</summary>
    public static (double mean, double std) FromLogits(Tensor logits, int splits = 1)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = torch.NewDisposeScope();
        var probs = torch.nn.functional.softmax(logits.to(ScalarType.Float64), -1);
        return FromProbabilities(probs, splits);
    }

    private static (double[] p, int n, int k) Read(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var shape = probabilities.shape;
        if (shape.Length != 2 || shape[0] < 1 || shape[1] < 1)
            throw new ArgumentException($"probabilities must be [N, K] with N, K >= 1, got [{string.Join(", ", shape)}]", nameof(probabilities));
        using var p = probabilities.to(ScalarType.Float64);
        return (p.ToArray<double>(), (int)shape[0], (int)shape[1]);
    }

    private static (double mean, double std) Score(double[] p, int n, int k, int splits)
    {
        if (splits < 1 || splits > n)
            throw new ArgumentOutOfRangeException(nameof(splits), splits, $"splits must be between 1 and the number of samples ({n})");
        int part = n / splits; // as the reference: the last n mod splits samples are left out
        var scores = new double[splits];
        var marginal = new double[k];
        for (int s = 0; s < splits; s++)
        {
            int begin = s * part, end = begin + part;
            Array.Clear(marginal);
            for (int i = begin; i < end; i++)
                for (int j = 0; j < k; j++) marginal[j] += p[i * k + j];
            for (int j = 0; j < k; j++) marginal[j] /= part;
            double kl = 0;
            for (int i = begin; i < end; i++)
                for (int j = 0; j < k; j++)
                {
                    var v = p[i * k + j];
                    if (v > 0) kl += v * (Math.Log(v) - Math.Log(marginal[j])); // 0 · log 0 = 0; v > 0 implies marginal > 0
                }
            scores[s] = Math.Exp(kl / part);
        }
        var mean = scores.Average();
        var std = Math.Sqrt(scores.Sum(x => (x - mean) * (x - mean)) / splits);
        return (mean, std);
    }
}
