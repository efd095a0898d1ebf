using TorchSharp;

namespace BigGan.Training.Evaluation;

/// <summary>
/// A network that scores images for FID, IS and similar metrics: it maps images to features (FID compares their
/// Gaussians) and class logits (IS uses their softmax). The built-in one is <see cref="SmallCnnClassifier"/>; any
/// other network a user loads (an Inception port, an ONNX model behind an adapter) plugs in by implementing this.
/// </summary>
public interface IFeatureNetwork
{
    /// <summary>A short description for reports and metadata (architecture, training data).</summary>
    string Name { get; }

    /// <summary>F, the length of a feature vector.</summary>
    int FeatureDimension { get; }

    /// <summary>K, the number of classes the logits cover.</summary>
    int NumClasses { get; }

    /// <summary>
    /// Features [N, F] and logits [N, K] (float32) of images [N, C, H, W] (float32, in [-1, 1]). The network is
    /// used for inference: implementations run in eval mode without recording gradients. The tensors belong to the
    /// caller (or the current dispose scope).
    /// </summary>
    (Tensor features, Tensor logits) Extract(Tensor images);
}
