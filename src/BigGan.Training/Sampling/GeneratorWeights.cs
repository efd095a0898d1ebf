namespace BigGan.Training.Sampling;

/// <summary>Which generator of a checkpoint a sampler loads.</summary>
public enum GeneratorWeights
{
    /// <summary>The EMA copy (G_ema.safetensors) when the checkpoint has one, else G.</summary>
    Auto,

    /// <summary>The EMA copy; a checkpoint without one is an error.</summary>
    Ema,

    /// <summary>The trained G itself (G.safetensors).</summary>
    Raw,
}
