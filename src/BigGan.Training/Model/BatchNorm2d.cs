using BigGan.Torch;
using static BigGan.Torch.torch;

namespace BigGan.Training.Model;

/// <summary>Batch norm with a learnable per-channel affine (<c>gain</c> = 1, <c>bias</c> = 0 at start) and running
/// statistics <c>stored_mean</c>/<c>stored_var</c> (momentum 0.1): G's output layer (the reference's layers.bn).</summary>
public sealed class BatchNorm2d : nn.Module, ILayer, IBatchNorm
{
    public BatchNorm2d(long channels, double eps = 1e-5)
    {
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "batch-norm eps must be positive");
        Channels = channels;
        Eps = eps;
        gain = register_parameter("gain", ModuleExtensions.NewParameter(ones(channels)));
        bias = register_parameter("bias", ModuleExtensions.NewParameter(zeros(channels)));
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
    public nn.Parameter gain { get; }
    public nn.Parameter bias { get; }
    public Tensor stored_mean { get; }
    public Tensor stored_var { get; }

    public ProcessGroup? CrossReplicaGroup { get; set; }

    public Tensor forward(Tensor input) =>
        training && CrossReplicaGroup is { } group
            ? distributed.sync_batch_norm(input, stored_mean, stored_var, gain, bias, training: true, Momentum, Eps, group)
            : nn.functional.batch_norm(input, stored_mean, stored_var, gain, bias, training, Momentum, Eps);
}
