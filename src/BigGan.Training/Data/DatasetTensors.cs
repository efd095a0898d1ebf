using TorchSharp;

namespace BigGan.Training.Data;

/// <summary>Reads items of a dataset into tensors at once: images in [-1, 1] float32 [N, C, H, W], labels int64 [N].</summary>
public static class DatasetTensors
{
    public static (Tensor images, Tensor labels) Load(IImageDataset data, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        int size = data.Channels * data.Resolution * data.Resolution;
        var bytes = new byte[indices.Count * size];
        var labels = new long[indices.Count];
        for (int k = 0; k < indices.Count; k++) labels[k] = data.Read(indices[k], bytes.AsSpan(k * size, size));
        using var raw = torch.tensor(bytes, [indices.Count, data.Channels, data.Resolution, data.Resolution]);
        return (raw.to(ScalarType.Float32).div_(127.5).sub_(1), torch.tensor(labels));
    }

    /// <summary>The first <paramref name="count"/> items (or all).</summary>
    public static (Tensor images, Tensor labels) LoadFirst(IImageDataset data, int? count = null) =>
        Load(data, Enumerable.Range(0, Math.Min(count ?? data.Count, data.Count)).ToArray());
}
