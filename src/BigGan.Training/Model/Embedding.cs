using TorchSharp;
using static TorchSharp.torch;
using Rng = TorchSharp.torch.Generator;

namespace BigGan.Training.Model;

/// <summary>
/// A plain (not spectrally normalised) embedding table [numEmbeddings, dim]: G's shared class embedding and the
/// per-class gain/bias tables of conditional BN. Besides int64 indices it accepts float class weights
/// [N, numEmbeddings] (one-hot or soft mixtures) and returns their weighted sum of rows.
/// </summary>
public sealed class Embedding : ExplicitModule, ILayer, IWeightLayer
{
    public Embedding(long numEmbeddings, long embeddingDim, Rng? rng = null) : base(nameof(Embedding))
    {
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"embedding needs positive sizes, got [{numEmbeddings}, {embeddingDim}]");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        using (var w = empty([numEmbeddings, embeddingDim])) weight = this.RegisterParameter("weight", new Parameter(w));
        WeightInit.DefaultEmbedding(weight, rng);
    }

    public long NumEmbeddings { get; }
    public long EmbeddingDim { get; }
    public Parameter weight { get; private set; }

    /// <summary>int64 indices [N] → rows [N, dim]; floating weights [N, numEmbeddings] → weights · table.</summary>
    public Tensor forward(Tensor input) =>
        input.dtype.IsFloatingPoint() ? input.mm(weight) : weight.index_select(0, input);
}
