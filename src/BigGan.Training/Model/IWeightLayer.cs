using TorchSharp;

namespace BigGan.Training.Model;

/// <summary>A layer whose <c>weight</c> the BigGAN initialisers touch (conv, linear and embedding weights).</summary>
public interface IWeightLayer
{
    Parameter weight { get; }
}
