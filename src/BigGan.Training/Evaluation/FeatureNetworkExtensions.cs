using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>Batched use of an <see cref="IFeatureNetwork"/> over a whole image set.</summary>
public static class FeatureNetworkExtensions
{
    /// <summary>Features [N, F] and softmax probabilities [N, K] of images [N, C, H, W], computed batch by batch.</summary>
    public static (Tensor features, Tensor probabilities) ExtractAll(this IFeatureNetwork network, Tensor images, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1");
        var n = images.size(0);
        if (n < 1) throw new ArgumentException("no images to score", nameof(images));
        var features = new List<Tensor>();
        var probabilities = new List<Tensor>();
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            for (long at = 0; at < n; at += batchSize)
            {
                var (f, logits) = network.Extract(images.narrow(0, at, Math.Min(batchSize, n - at)));
                features.Add(f);
                probabilities.Add(torch.nn.functional.softmax(logits, -1));
            }
            var allFeatures = torch.cat(features, 0).MoveToOuterDisposeScope();
            var allProbabilities = torch.cat(probabilities, 0).MoveToOuterDisposeScope();
            return (allFeatures, allProbabilities);
        }
    }

    /// <summary>The Gaussian statistics of the network's features over an image set (for FID).</summary>
    public static GaussianStatistics FeatureStatistics(this IFeatureNetwork network, Tensor images, int batchSize = 256)
    {
        using var scope = torch.NewDisposeScope();
        var (features, _) = network.ExtractAll(images, batchSize);
        return GaussianStatistics.FromFeatures(features);
    }
}
