using BigGan.Training.Data;

namespace BigGan.Training.Tests.Training;

/// <summary>A small synthetic labelled image set: class c is a bright horizontal band at row 4c plus seeded noise.</summary>
internal sealed class ToyDataset : IImageDataset
{
    private readonly byte[][] _images;
    private readonly int[] _labels;

    public ToyDataset(int count = 64, int numClasses = 4, int channels = 1, int resolution = 32, int seed = 0)
    {
        (NumClasses, Channels, Resolution) = (numClasses, channels, resolution);
        var rng = new Random(seed);
        _images = new byte[count][];
        _labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % numClasses;
            var img = new byte[channels * resolution * resolution];
            for (int k = 0; k < img.Length; k++)
            {
                int row = k / resolution % resolution;
                img[k] = (byte)(row / 4 == c ? 220 + rng.Next(30) : rng.Next(40));
            }
            (_images[i], _labels[i]) = (img, c);
        }
    }

    public int Count => _images.Length;
    public int NumClasses { get; }
    public int Channels { get; }
    public int Resolution { get; }
    public IReadOnlyList<string> ClassNames => Enumerable.Range(0, NumClasses).Select(i => $"band{i}").ToArray();
    public string Source => "toy";
    public int GetLabel(int index) => _labels[index];

    public int Read(int index, Span<byte> pixels)
    {
        _images[index].CopyTo(pixels);
        return _labels[index];
    }
}
