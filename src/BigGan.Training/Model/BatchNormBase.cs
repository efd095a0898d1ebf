using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Model;

/// <summary>
/// What G's batch norms share: running statistics <c>stored_mean</c>/<c>stored_var</c> (momentum 0.1, as the
/// reference), eps, and the choice between the local batch and the global batch of a process group (cross-replica).
/// Subclasses decide the affine part.
/// </summary>
public abstract class BatchNormBase : ExplicitModule, IBatchNorm
{
    protected BatchNormBase(long channels, double eps) : base(nameof(BatchNormBase))
    {
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "batch-norm eps must be positive");
        Channels = channels;
        Eps = eps;
        stored_mean = this.RegisterBuffer("stored_mean", zeros(channels));
        stored_var = this.RegisterBuffer("stored_var", ones(channels));
    }

    public long Channels { get; }
    public double Eps { get; }
    public Tensor stored_mean { get; protected set; }
    public Tensor stored_var { get; protected set; }

    /// <summary>Weight of the new batch in the running statistics (0.1 as the reference).</summary>
    public double Momentum { get; set; } = 0.1;

    public ProcessGroup? CrossReplicaGroup { get; set; }

    public void ResetRunningStats()
    {
        using var _ = no_grad();
        stored_mean.zero_();
        stored_var.fill_(1);
    }

    /// <summary>batch_norm with the optional per-channel affine: batch statistics in training (the global batch's
    /// when <see cref="CrossReplicaGroup"/> is set), running statistics otherwise.</summary>
    protected Tensor Normalize(Tensor x, Tensor? weight, Tensor? bias) =>
        training && CrossReplicaGroup is { } group
            ? distributed.sync_batch_norm(x, stored_mean, stored_var, weight, bias, training: true, Momentum, Eps, group)
            : nn.functional.batch_norm(x, stored_mean, stored_var, weight, bias, training, Momentum, Eps);
}
