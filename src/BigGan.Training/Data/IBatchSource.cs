using TorchSharp;

namespace BigGan.Training.Data;

/// <summary>
/// An endless stream of training batches for the trainer: images scaled to [-1, 1] as float32 [N, C, H, W] and
/// int64 class labels [N]. Implementations are seeded, so a run is repeatable, and expose their position so a resumed
/// run continues with exactly the batches it would have seen.
/// </summary>
public interface IBatchSource : IDisposable
{
    int NumClasses { get; }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    int Channels { get; }

    /// <summary>Height and width of every image.</summary>
    int Resolution { get; }

    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The next batch; the tensors belong to the caller (or to the current dispose scope). With
    /// <see cref="ShardCount"/> &gt; 1, <paramref name="batchSize"/> is the global batch and this process gets its
    /// batchSize / ShardCount rows.</summary>
    (Tensor images, Tensor labels) Next(int batchSize);

    /// <summary>How many data-parallel processes share each batch (1: this source returns whole batches).</summary>
    int ShardCount => 1;

    /// <summary>The position in the stream (epoch, index, RNG) as a string for checkpoint metadata.</summary>
    string SaveState();

    /// <summary>Restores a position from <see cref="SaveState"/>.</summary>
    void LoadState(string state);
}
