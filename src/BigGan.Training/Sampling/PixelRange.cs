namespace BigGan.Training.Sampling;

/// <summary>Value range of float images handed out by the sampler.</summary>
public enum PixelRange
{
    /// <summary>The generator's tanh range [−1, 1].</summary>
    MinusOneToOne,

    /// <summary>[0, 255] as (x + 1) · 127.5, clamped (what the ONNX export's <c>pixels</c> output gives).</summary>
    ZeroTo255,
}
