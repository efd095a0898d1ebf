using BigGan.Training.Data;

namespace BigGan.Bench;

/// <summary>Random images in [-1, 1] and random labels: measures the training step without any data cost.</summary>
internal sealed class RandomBatchSource(int numClasses, int channels, int resolution, ulong seed = 0) : IBatchSource
{
    private readonly Generator _rng = new(seed);

    public int NumClasses => numClasses;
    public int Channels => channels;
    public int Resolution => resolution;
    public IReadOnlyList<string> ClassNames => Enumerable.Range(0, numClasses).Select(i => i.ToString()).ToArray();

    public (Tensor images, Tensor labels) Next(int batchSize) =>
        (torch.rand([batchSize, channels, resolution, resolution], generator: _rng).mul_(2).sub_(1),
         torch.randint(0, numClasses, [batchSize], generator: _rng));

    public string SaveState() => "";
    public void LoadState(string state) { }
    public void Dispose() => _rng.Dispose();
}
