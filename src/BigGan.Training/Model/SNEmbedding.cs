using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>An embedding table [numEmbeddings, dim] with spectral normalisation (the table is the matrix; u has one
/// entry per class, as in the reference). D's projection embedding.</summary>
public sealed class SNEmbedding : SpectralNorm, ILayer
{
    public SNEmbedding(long numEmbeddings, long embeddingDim, SpectralNormOptions options = default, Rng? rng = null)
        : base([numEmbeddings, embeddingDim], SNLinear.Fill(options), rng)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        WeightInit.DefaultEmbedding(weight, rng);
    }

    public long NumEmbeddings { get; }
    public long EmbeddingDim { get; }

    /// <summary>Rows of W/σ for int64 indices [N] → [N, dim].</summary>
    public Tensor forward(Tensor input)
    {
        using var w = NormalizedWeight();
        return w.index_select(0, input);
    }
}
