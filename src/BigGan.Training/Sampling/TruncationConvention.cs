namespace BigGan.Training.Sampling;

/// <summary>How a truncation value shapes the latent distribution.</summary>
public enum TruncationConvention
{
    /// <summary>
    /// The paper's truncation trick (Brock et al. 2018, §3.1; StudioGAN's truncnorm(−t, t)): z ~ N(0, I) with every
    /// component whose magnitude exceeds t resampled, i.e. a standard normal truncated to [−t, t]. +∞ means no truncation.
    /// </summary>
    Paper,

    /// <summary>
    /// The TF-Hub / pytorch-pretrained-BigGAN convention (<c>truncated_noise_sample</c>): t × a standard normal truncated
    /// to [−2, 2], so every component lies in [−2t, 2t]. t must be finite.
    /// </summary>
    TFHub,
}
