namespace BigGan.Training.Sampling;

/// <summary>Which batch-norm statistics a sampler's generator normalises with.</summary>
public enum BatchNormStatistics
{
    /// <summary>The running statistics kept during training (eval mode; the reference's <c>--G_eval_mode</c>).</summary>
    Running,

    /// <summary>"Standing statistics": recomputed before sampling by averaging the batch statistics of several
    /// train-mode forward passes on fresh latents and random classes (<see cref="StandingStatistics"/>).</summary>
    Standing,
}
