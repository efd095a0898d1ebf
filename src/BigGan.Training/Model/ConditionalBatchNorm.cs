using BigGan.Torch;
using static BigGan.Torch.torch;
using Rng = BigGan.Torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// Class-conditional batch norm (the reference's ccbn): batch_norm without affine (batch statistics in training,
/// running statistics <c>stored_mean</c>/<c>stored_var</c> with momentum 0.1 otherwise), then
/// out = bn(x) · (1 + gain(c)) + bias(c), per sample and channel. With the shared embedding, gain and bias are SN
/// linear maps without bias from the conditioning vector c (class embedding, plus a z chunk when hierarchical);
/// without it they are plain per-class tables indexed by class id (or mixed by float class weights).
/// </summary>
public sealed class ConditionalBatchNorm : nn.Module, IBatchNorm
{
    private readonly ILayer _gain, _bias;

    /// <summary>Linear conditioning (shared embedding): gain and bias are SNLinear(conditionDim → channels, no bias).</summary>
    public static ConditionalBatchNorm Linear(long channels, long conditionDim, double eps, SpectralNormOptions sn, Rng? rng = null) =>
        new(channels, eps, new SNLinear(conditionDim, channels, bias: false, sn, rng), new SNLinear(conditionDim, channels, bias: false, sn, rng), conditionDim, true);

    /// <summary>Per-class tables: gain and bias are Embedding(numClasses, channels).</summary>
    public static ConditionalBatchNorm Tables(long channels, long numClasses, double eps, Rng? rng = null) =>
        new(channels, eps, new Embedding(numClasses, channels, rng), new Embedding(numClasses, channels, rng), numClasses, false);

    private ConditionalBatchNorm(long channels, double eps, nn.Module gain, nn.Module bias, long conditionDim, bool linear)
    {
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "batch-norm eps must be positive");
        Channels = channels;
        Eps = eps;
        ConditionDim = conditionDim;
        IsLinear = linear;
        _gain = (ILayer)register_module("gain", gain);
        _bias = (ILayer)register_module("bias", bias);
        stored_mean = register_buffer("stored_mean", zeros(channels));
        stored_var = register_buffer("stored_var", ones(channels));
    }

    /// <summary>Weight of the new batch in the running statistics (0.1 as the reference).</summary>
    public double Momentum { get; set; } = 0.1;

    public void ResetRunningStats()
    {
        using var _ = no_grad();
        stored_mean.zero_();
        stored_var.fill_(1);
    }

    public long Channels { get; }
    public double Eps { get; }

    public ProcessGroup? CrossReplicaGroup { get; set; }

    /// <summary>Size of the conditioning vector (linear) or number of classes (tables).</summary>
    public long ConditionDim { get; }

    /// <summary>True for SN-linear gain/bias (shared embedding), false for per-class tables.</summary>
    public bool IsLinear { get; }

    public nn.Module Gain => (nn.Module)_gain;
    public nn.Module Bias => (nn.Module)_bias;
    public Tensor stored_mean { get; }
    public Tensor stored_var { get; }

    /// <param name="x">[N, C, H, W].</param>
    /// <param name="condition">Linear: float [N, ConditionDim]. Tables: int64 class ids [N] or float class weights [N, classes].</param>
    public Tensor forward(Tensor x, Tensor condition)
    {
        using var scope = NewDisposeScope();
        var gain = _gain.forward(condition).add_(1).view(-1, Channels, 1, 1);
        var bias = _bias.forward(condition).view(-1, Channels, 1, 1);
        var h = training && CrossReplicaGroup is { } group
            ? distributed.sync_batch_norm(x, stored_mean, stored_var, null, null, training: true, Momentum, Eps, group)
            : nn.functional.batch_norm(x, stored_mean, stored_var, null, null, training, Momentum, Eps);
        return h.mul(gain).add_(bias).MoveToOuterDisposeScope();
    }
}
