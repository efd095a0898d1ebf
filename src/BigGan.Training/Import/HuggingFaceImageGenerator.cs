using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;

namespace BigGan.Training.Import;

/// <summary>
/// A Hugging Face BigGAN as an <see cref="IConditionalImageGenerator"/>, for the synthesis layer and the ML.NET
/// adapters. Its batch-norm statistics depend on the truncation, which that interface does not pass to
/// <see cref="Generate"/>, so each instance is fixed to one truncation (<see cref="Truncation"/>, TF-Hub convention:
/// z = t × a normal truncated at ±2): latents are drawn with it (a bare infinity, "no truncation", means it too), and
/// asking for another is refused rather than silently mixing the two.
/// </summary>
public sealed class HuggingFaceImageGenerator : IConditionalImageGenerator, IDisposable
{
    private readonly bool _ownsModel;

    /// <param name="model">The generator.</param>
    /// <param name="truncation">In (0, 1]; 0.4 is the value of the reference's own example.</param>
    /// <param name="classNames">One per class; null: ImageNet's names for a 1,000-class model, else the class numbers.</param>
    /// <param name="ownsModel">Dispose <paramref name="model"/> with this generator.</param>
    public HuggingFaceImageGenerator(HuggingFaceBigGan model, double truncation = 0.4, IReadOnlyList<string>? classNames = null, bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(truncation > 0 && truncation <= 1)) throw new ArgumentException($"truncation {truncation}: expected 0 < truncation <= 1", nameof(truncation));
        if (classNames is not null && classNames.Count != model.NumClasses)
            throw new ArgumentException($"{classNames.Count} class names given for a generator of {model.NumClasses} classes", nameof(classNames));
        Model = model;
        Truncation = truncation;
        _ownsModel = ownsModel;
        ClassNames = classNames ?? (model.NumClasses == ImageNetClasses.Count ? ImageNetClasses.Names
            : Enumerable.Range(0, model.NumClasses).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Loads pytorch_model.bin and its config.json (<see cref="HuggingFaceBigGanWeights.Load"/>).</summary>
    public static HuggingFaceImageGenerator Load(string weights, string? configPath = null, double truncation = 0.4) =>
        new(HuggingFaceBigGanWeights.Load(weights, configPath), truncation);

    public HuggingFaceBigGan Model { get; }

    /// <summary>The truncation of the latents and of the batch-norm statistics.</summary>
    public double Truncation { get; }

    public int NumClasses => Model.NumClasses;
    public int Channels => 3;
    public int Resolution => Model.Resolution;
    public int DimZ => Model.DimZ;
    public IReadOnlyList<string> ClassNames { get; }

    public void SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents)
    {
        if (!float.IsPositiveInfinity(truncation) && Math.Abs(truncation - Truncation) > 1e-6)
            throw new ArgumentException($"this Hugging Face BigGAN's batch-norm statistics are set for truncation {Truncation}; latents for {truncation} would not match them " +
                                        "(open another generator with that truncation)", nameof(truncation));
        if (latents.Length != (long)seeds.Length * DimZ)
            throw new ArgumentException($"latents has {latents.Length} values; {seeds.Length} seeds × DimZ {DimZ} expected", nameof(latents));
        LatentSampler.Draw(seeds, Sampling.Truncation.TFHub(Truncation), latents);
    }

    public void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images)
    {
        var n = classes.Length;
        if (latents.Length != (long)n * DimZ) throw new ArgumentException($"latents has {latents.Length} values; {n} classes × DimZ {DimZ} expected", nameof(latents));
        var pixels = (long)Channels * Resolution * Resolution;
        if (images.Length != n * pixels) throw new ArgumentException($"images has {images.Length} values; {n} × {pixels} expected", nameof(images));
        foreach (var c in classes)
            if (c < 0 || c >= NumClasses) throw new ArgumentException($"class {c} is outside 0..{NumClasses - 1}", nameof(classes));
        if (n == 0) return;

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var z = tensor(latents.ToArray(), [n, DimZ]);
        var oneHot = nn.functional.one_hot(tensor(classes.ToArray().Select(c => (long)c).ToArray()), NumClasses).to(ScalarType.Float32);
        var output = Model.Forward(z, oneHot, Truncation);
        output.data<float>().CopyTo(images);
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
