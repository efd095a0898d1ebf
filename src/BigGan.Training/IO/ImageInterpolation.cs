namespace BigGan.Training.IO;

/// <summary>
/// How <see cref="ImageTransforms.Resize"/> samples. (Not named InterpolationMode: TorchSharp's torch.InterpolationMode
/// and BigGan.Training.Sampling.InterpolationMode already are, and a third would make every mention ambiguous.)
/// </summary>
public enum ImageInterpolation
{
    /// <summary>The source pixel at floor(destination index × scale) (OpenCV INTER_NEAREST, PyTorch "nearest").</summary>
    Nearest = 0,

    /// <summary>Bilinear with half-pixel centers and no antialiasing (OpenCV INTER_LINEAR, PyTorch bilinear with align_corners = false).</summary>
    Bilinear = 1,

    /// <summary>
    /// Each destination pixel is the mean of the source area it covers, fractional pixels weighted by their
    /// coverage (OpenCV INTER_AREA): the alias-free choice for shrinking.
    /// </summary>
    Area = 2,
}
