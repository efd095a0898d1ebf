namespace BigGan.Training.Model;

/// <summary>How G and D store their feature maps internally (inputs and outputs are ordinary NCHW tensors).</summary>
internal static class MemoryLayout
{
    /// <summary>Channels-last (NHWC strides): oneDNN's convolutions, which dominate BigGAN's cost, run faster on it.</summary>
    public static bool ChannelsLast { get; set; } = true;
}
