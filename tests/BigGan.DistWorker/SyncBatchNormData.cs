using TorchSharp;
using static TorchSharp.torch;

/// <summary>The global batch of the cross-replica batch-norm test, made from a seed so every process (workers and
/// the test's single-process reference) builds the same tensors (float64).</summary>
public sealed record SyncBatchNormData(Tensor X, Tensor Weight, Tensor Bias, Tensor RunningMean, Tensor RunningVar, Tensor GradOut)
{
    public static SyncBatchNormData Make(int globalBatch, int channels, int size, ulong seed)
    {
        using var g = new Generator(seed);
        long[] shape = [globalBatch, channels, size, size];
        // An offset and a scale per channel, so mean and variance differ by channel.
        var offset = arange(0, channels, 1, float64).mul(0.7).sub(1.0).reshape(1, channels, 1, 1);
        var x = randn(shape, float64, generator: g).mul(1.5).add(offset);
        var weight = randn([channels], float64, generator: g).mul(0.3).add(1.0);
        var bias = randn([channels], float64, generator: g).mul(0.2);
        var rm = randn([channels], float64, generator: g).mul(0.1);
        var rv = rand([channels], float64, generator: g).add(0.5);
        var gradOut = randn(shape, float64, generator: g);
        return new SyncBatchNormData(x, weight, bias, rm, rv, gradOut);
    }
}
