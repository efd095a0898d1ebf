using BigGan.Training.Onnx;
using BigGan.Training.Synthesis;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>
/// What the sampling commands (sample, interpolate, evaluate, export) and the ML.NET adapters need of an opened
/// generator, whatever its architecture: this project's BigGAN (<see cref="BigGanSampler"/>) or an imported Hugging
/// Face BigGAN-deep (<see cref="Import.HuggingFaceSampler"/>). <see cref="RunSamplers.Open"/> opens either from a run
/// folder. Images are float [N, C, R, R] in [−1, 1]; latents come from (seed, row) streams
/// (<see cref="LatentSampler"/>), so an image never depends on the batch size.
/// </summary>
public interface IImageSampler : IConditionalImageGenerator, IDisposable
{
    /// <summary>Rows per forward pass.</summary>
    int BatchSize { get; }

    /// <summary>The file the weights were loaded from (null for a wrapped generator).</summary>
    string? SourcePath { get; }

    /// <summary>The training step of the weights, when known.</summary>
    long? Step { get; }

    /// <summary>The truncation a command uses when none is asked for (this project's generator: none; BigGAN-deep:
    /// the one it was opened for).</summary>
    Truncation DefaultTruncation { get; }

    /// <summary>How batch norm is normalised, for a one-line description ("running BN statistics", ...).</summary>
    string BatchNormSummary { get; }

    /// <summary>Throws an <see cref="ArgumentException"/> that says what is accepted unless this generator can sample
    /// with <paramref name="truncation"/>.</summary>
    Truncation CheckTruncation(Truncation truncation, string paramName = "truncation");

    /// <summary>Latents of rows [firstRow, firstRow + count) of the sample seeded with <paramref name="seed"/>: float [count, DimZ].</summary>
    Tensor Latents(long firstRow, int count, Truncation truncation, ulong seed);

    /// <summary>Images for latents z (float [N, DimZ]) and class ids (int64 [N]).</summary>
    Tensor Generate(Tensor z, Tensor classes);

    /// <summary>Class vectors the generator conditions on, for class ids (int64 [N]); rows can be interpolated.</summary>
    Tensor Embed(Tensor classes);

    /// <summary>Images for latents and class vectors from <see cref="Embed"/> (or points between them).</summary>
    Tensor GenerateEmbedded(Tensor z, Tensor classEmbedding);

    /// <summary>One image per entry of <paramref name="rowClasses"/>; row i uses latent row firstRow + i of <paramref name="seed"/>.</summary>
    Tensor SampleRows(ReadOnlySpan<int> rowClasses, Truncation truncation, ulong seed, long firstRow = 0);

    /// <summary><paramref name="count"/> images of each listed class, class-major (row k·count + j uses latent row k·count + j).</summary>
    Tensor Sample(IReadOnlyList<int> classes, int count, Truncation truncation, ulong seed);

    /// <summary>Class ids of the rows of <see cref="Sample"/>: each listed class <paramref name="count"/> times, class-major.</summary>
    int[] RowClasses(IReadOnlyList<int> classes, int count);

    /// <summary>The index of a class given by name (case-insensitive) or number.</summary>
    int ClassIndex(string nameOrIndex);

    /// <summary>Writes the generator as an ONNX graph with this project's inputs (z and class_index or class_onehot)
    /// and outputs (image, pixels), so the same ML.NET ApplyOnnxModel route runs it.</summary>
    void ExportOnnx(string path, GeneratorExportOptions options);
}
