using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>Linear interpolation between row vectors (latents or class embeddings).</summary>
public static class Interpolation
{
    /// <summary>
    /// For each row r of <paramref name="start"/> and <paramref name="end"/> ([R, D]), the points
    /// start·(1 − t) + end·t at t = 0, 1/(m + 1), …, 1 (m = <paramref name="midpoints"/>): [R·(m + 2), D], row-major by r.
    /// </summary>
    public static Tensor Lerp(Tensor start, Tensor end, int midpoints)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        if (midpoints < 0) throw new ArgumentException($"midpoints is {midpoints}; expected >= 0", nameof(midpoints));
        if (start.dim() != 2 || !start.shape.SequenceEqual(end.shape))
            throw new ArgumentException($"interpolation endpoints must both be [R, D], got [{string.Join(", ", start.shape)}] and [{string.Join(", ", end.shape)}]", nameof(end));
        using var scope = NewDisposeScope();
        long rows = start.shape[0], d = start.shape[1], steps = midpoints + 2;
        var t = arange(0, steps, 1, ScalarType.Float32).div_(steps - 1).view(1, steps, 1);   // [1, S, 1]
        var a = start.to(ScalarType.Float32).unsqueeze(1);                                    // [R, 1, D]
        var b = end.to(ScalarType.Float32).unsqueeze(1);
        var points = a.mul(t.neg().add_(1)).add_(b.mul(t));                                   // [R, S, D]
        return points.reshape(rows * steps, d).MoveToOuterDisposeScope();
    }
}
