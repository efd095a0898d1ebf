using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Model;

/// <summary>Batch norm with a learnable per-channel affine (<c>gain</c> = 1, <c>bias</c> = 0 at start) and running
/// statistics <c>stored_mean</c>/<c>stored_var</c> (momentum 0.1): G's output layer (the reference's layers.bn).</summary>
public sealed class BatchNorm2d : BatchNormBase, ILayer
{
    public BatchNorm2d(long channels, double eps = 1e-5) : base(channels, eps)
    {
        gain = this.RegisterParameter("gain", ModuleExtensions.NewParameter(ones(channels)));
        bias = this.RegisterParameter("bias", ModuleExtensions.NewParameter(zeros(channels)));
    }

    public Parameter gain { get; private set; }
    public Parameter bias { get; private set; }

    public Tensor forward(Tensor input) => Normalize(input, gain, bias);
}
