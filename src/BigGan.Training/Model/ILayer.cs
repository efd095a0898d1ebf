using TorchSharp;

namespace BigGan.Training.Model;

/// <summary>A module with one tensor input and one tensor output (convs, linears, embeddings).</summary>
public interface ILayer
{
    Tensor forward(Tensor input);
}
