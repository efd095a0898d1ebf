namespace BigGan.Training.Distributed;

/// <summary>How <see cref="distributed.all_reduce"/> combines the ranks' tensors (as torch.distributed.ReduceOp).</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum over ranks.</summary>
    SUM = 0,

    /// <summary>Element-wise mean over ranks (floating-point tensors only): a sum divided by the world size,
    /// since Gloo has no native average.</summary>
    AVG = 1,
}
