namespace BigGan.Training.Import;

/// <summary>Loads a pytorch-pretrained-BigGAN model: its pytorch_model.bin (either torch.save format, read by the
/// restricted <see cref="TorchCheckpoint"/>) and its config.json.</summary>
public static class HuggingFaceBigGanWeights
{
    /// <param name="weights">pytorch_model.bin (or a renamed copy).</param>
    /// <param name="configPath">Its config.json; null looks for config.json next to the weights.</param>
    public static HuggingFaceBigGan Load(string weights, string? configPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weights);
        configPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weights))!, "config.json");
        var config = HuggingFaceBigGanConfig.Load(configPath);
        var tensors = TorchCheckpoint.Load(weights);
        try
        {
            return new HuggingFaceBigGan(config, tensors, weights);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
