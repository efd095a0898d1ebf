using TorchSharp;

namespace BigGan.Training.Model;

/// <summary>A batch-norm layer with running statistics (plain or class-conditional), for standing statistics:
/// reset them, then accumulate over a few training-mode passes with momentum 1/(i+1) (a cumulative average).</summary>
public interface IBatchNorm
{
    Tensor stored_mean { get; }
    Tensor stored_var { get; }

    /// <summary>Weight of the new batch in the running statistics (0.1 by default, as the reference).</summary>
    double Momentum { get; set; }

    /// <summary>Running mean 0, running variance 1.</summary>
    void ResetRunningStats();

    /// <summary>
    /// Cross-replica batch norm: when set, training-mode forwards normalise with the statistics of the global batch
    /// (every rank of this process group together, <see cref="distributed.sync_batch_norm"/>); null (the
    /// default) normalises with the local batch. Eval mode never communicates.
    /// </summary>
    ProcessGroup? CrossReplicaGroup { get; set; }
}
