namespace BigGan.Training.Data;

/// <summary>
/// A labelled image dataset with random access: every item is a uint8 image of <see cref="Channels"/> ×
/// <see cref="Resolution"/> × <see cref="Resolution"/> pixels (CHW, RGB order) and a class label in
/// [0, <see cref="NumClasses"/>). Implementations are safe to read from several threads at once, so a batch source
/// can decode on a background thread.
/// </summary>
public interface IImageDataset
{
    /// <summary>Number of items.</summary>
    int Count { get; }

    int NumClasses { get; }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    int Channels { get; }

    /// <summary>Height and width of every image.</summary>
    int Resolution { get; }

    /// <summary>One name per class, in label order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where the data comes from (a folder or file), for logs and messages.</summary>
    string Source { get; }

    /// <summary>The label of item <paramref name="index"/>, without decoding its image.</summary>
    int GetLabel(int index);

    /// <summary>
    /// Writes item <paramref name="index"/>'s pixels (uint8 CHW, exactly Channels × Resolution × Resolution bytes)
    /// into <paramref name="pixels"/> and returns its label.
    /// </summary>
    int Read(int index, Span<byte> pixels);
}
