using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>
/// Image grids of a sampler, as tensors or PNG files (written atomically through torchvision.utils.save_image):
/// class sheets (one row per class, the same latent in every column) and interpolation sheets (each row walks from
/// one endpoint to another in z, in class-embedding space, or both), as BigGAN-PyTorch's sample.py writes them.
/// </summary>
public static class SampleSheets
{
    /// <summary>
    /// One row per class (all classes when <paramref name="classes"/> is null), <paramref name="columns"/> images per
    /// row; column j uses latent row j of <paramref name="seed"/> in every row, so columns compare classes at equal z.
    /// Returns float [rows · columns, C, R, R].
    /// </summary>
    public static Tensor ClassGrid(IImageSampler sampler, IReadOnlyList<int>? classes, int columns, Truncation truncation, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (columns < 1) throw new ArgumentException($"columns is {columns}; expected at least 1", nameof(columns));
        var rows = sampler.RowClasses(classes ?? AllClasses(sampler), columns);
        var k = rows.Length / columns;
        using var scope = NewDisposeScope();
        var z = sampler.Latents(0, columns, truncation, seed).repeat(k, 1);
        var y = tensor(rows.Select(c => (long)c).ToArray());
        return sampler.Generate(z, y).MoveToOuterDisposeScope();
    }

    /// <summary>Writes <see cref="ClassGrid"/> as one PNG (parent folders are created).</summary>
    public static void WriteClassSheet(IImageSampler sampler, string path, IReadOnlyList<int>? classes, int columns, Truncation truncation, ulong seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var images = ClassGrid(sampler, classes, columns, truncation, seed);
        Save(images, path, columns);
    }

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="midpoints"/> + 2 images. Row r's latent endpoints are latent rows
    /// 2r and 2r + 1 of <paramref name="seed"/> (<see cref="InterpolationMode.Class"/> keeps row 2r throughout).
    /// Classes: with <paramref name="classes"/>, row r uses classes[r mod k] (mode Z) or goes from classes[2r mod k] to
    /// classes[2r + 1 mod k]; without, they are drawn from <paramref name="seed"/> (two different classes when there are several).
    /// Returns float [rows · (midpoints + 2), C, R, R].
    /// </summary>
    public static Tensor InterpolationGrid(IImageSampler sampler, InterpolationMode mode, int rows, int midpoints, Truncation truncation, ulong seed,
        IReadOnlyList<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"unknown interpolation mode {(int)mode}; expected Z, Class or Both", nameof(mode));
        if (rows < 1) throw new ArgumentException($"rows is {rows}; expected at least 1", nameof(rows));
        if (midpoints < 0) throw new ArgumentException($"midpoints is {midpoints}; expected >= 0", nameof(midpoints));
        truncation.Validate(nameof(truncation));
        if (classes is not null) sampler.RowClasses(classes, 1); // validates

        var (from, to) = EndpointClasses(sampler.NumClasses, mode, rows, seed, classes);
        using var scope = NewDisposeScope();
        var endpoints = sampler.Latents(0, 2 * rows, truncation, seed).view(rows, 2, sampler.DimZ);
        var zA = endpoints.select(1, 0);
        var zB = mode == InterpolationMode.Class ? zA : endpoints.select(1, 1);
        var eA = sampler.Embed(tensor(from));
        var eB = mode == InterpolationMode.Z ? eA : sampler.Embed(tensor(to));
        var z = Interpolation.Lerp(zA, zB, midpoints);
        var e = Interpolation.Lerp(eA, eB, midpoints);
        return sampler.GenerateEmbedded(z, e).MoveToOuterDisposeScope();
    }

    /// <summary>Writes <see cref="InterpolationGrid"/> as one PNG (parent folders are created).</summary>
    public static void WriteInterpolationSheet(IImageSampler sampler, string path, InterpolationMode mode, int rows, int midpoints, Truncation truncation, ulong seed,
        IReadOnlyList<int>? classes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var images = InterpolationGrid(sampler, mode, rows, midpoints, truncation, seed, classes);
        Save(images, path, midpoints + 2);
    }

    private static (long[] from, long[] to) EndpointClasses(int numClasses, InterpolationMode mode, int rows, ulong seed, IReadOnlyList<int>? classes)
    {
        var from = new long[rows];
        var to = new long[rows];
        var rng = new SampleRandom(SampleRandom.Mix(seed ^ 0x494E54455250UL)); // "INTERP"
        for (int r = 0; r < rows; r++)
        {
            if (classes is not null)
            {
                from[r] = classes[(mode == InterpolationMode.Z ? r : 2 * r) % classes.Count];
                to[r] = mode == InterpolationMode.Z ? from[r] : classes[(2 * r + 1) % classes.Count];
            }
            else
            {
                from[r] = rng.NextInt(numClasses);
                to[r] = mode == InterpolationMode.Z || numClasses == 1 ? from[r] : (from[r] + 1 + rng.NextInt(numClasses - 1)) % numClasses;
            }
        }
        return (from, to);
    }

    private static IReadOnlyList<int> AllClasses(IImageSampler sampler) => Enumerable.Range(0, sampler.NumClasses).ToArray();

    private static void Save(Tensor images, string path, int columns)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        ImageGrid.SaveImage(images, full, nrow: columns);
    }
}
