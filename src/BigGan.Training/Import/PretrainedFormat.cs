namespace BigGan.Training.Import;

/// <summary>Where published generator weights come from.</summary>
public enum PretrainedFormat
{
    /// <summary>ajbrock/BigGAN-PyTorch: a G.pth / G_ema.pth state dict (<see cref="BigGanPyTorchWeights"/>).</summary>
    BigGanPyTorch,

    /// <summary>Hugging Face pytorch-pretrained-BigGAN (biggan-deep-128/256/512): pytorch_model.bin + config.json. Its
    /// TF-Hub BigGAN-deep architecture has its own generator (<see cref="HuggingFaceBigGan"/>), not this project's
    /// <see cref="Model.Generator"/>; its run folder is written by <see cref="HuggingFaceRun.Import"/> and opened as a
    /// <see cref="HuggingFaceSampler"/> (<see cref="Sampling.RunSamplers.Open"/>).</summary>
    HuggingFace,
}
