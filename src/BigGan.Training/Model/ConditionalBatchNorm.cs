using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// Class-conditional batch norm (the reference's ccbn): batch_norm without affine (batch statistics in training,
/// running statistics <c>stored_mean</c>/<c>stored_var</c> with momentum 0.1 otherwise), then
/// out = bn(x) · (1 + gain(c)) + bias(c), per sample and channel. With the shared embedding, gain and bias are SN
/// linear maps without bias from the conditioning vector c (class embedding, plus a z chunk when hierarchical);
/// without it they are plain per-class tables indexed by class id (or mixed by float class weights).
/// </summary>
public sealed class ConditionalBatchNorm : BatchNormBase
{
    private readonly ILayer _gain, _bias;

    /// <summary>Linear conditioning (shared embedding): gain and bias are SNLinear(conditionDim → channels, no bias).</summary>
    public static ConditionalBatchNorm Linear(long channels, long conditionDim, double eps, SpectralNormOptions sn, Rng? rng = null) =>
        new(channels, eps, new SNLinear(conditionDim, channels, bias: false, sn, rng), new SNLinear(conditionDim, channels, bias: false, sn, rng), conditionDim, true);

    /// <summary>Per-class tables: gain and bias are Embedding(numClasses, channels).</summary>
    public static ConditionalBatchNorm Tables(long channels, long numClasses, double eps, Rng? rng = null) =>
        new(channels, eps, new Embedding(numClasses, channels, rng), new Embedding(numClasses, channels, rng), numClasses, false);

    private ConditionalBatchNorm(long channels, double eps, nn.Module gain, nn.Module bias, long conditionDim, bool linear) : base(channels, eps)
    {
        ConditionDim = conditionDim;
        IsLinear = linear;
        _gain = (ILayer)this.RegisterModule("gain", gain);
        _bias = (ILayer)this.RegisterModule("bias", bias);
    }

    /// <summary>Size of the conditioning vector (linear) or number of classes (tables).</summary>
    public long ConditionDim { get; }

    /// <summary>True for SN-linear gain/bias (shared embedding), false for per-class tables.</summary>
    public bool IsLinear { get; }

    public nn.Module Gain => (nn.Module)_gain;
    public nn.Module Bias => (nn.Module)_bias;

    /// <param name="x">[N, C, H, W].</param>
    /// <param name="condition">Linear: float [N, ConditionDim]. Tables: int64 class ids [N] or float class weights [N, classes].</param>
    public Tensor forward(Tensor x, Tensor condition)
    {
        using var scope = NewDisposeScope();
        var gain = _gain.forward(condition).add_(1).view(-1, Channels, 1, 1);
        var bias = _bias.forward(condition).view(-1, Channels, 1, 1);
        return Normalize(x, null, null).mul(gain).add_(bias).MoveToOuterDisposeScope();
    }
}
