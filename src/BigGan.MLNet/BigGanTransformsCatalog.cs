using BigGan.Training.Synthesis;
using Microsoft.ML;

namespace BigGan.MLNet;

/// <summary><c>mlContext.Transforms.GenerateBigGanImages(...)</c>.</summary>
public static class BigGanTransformsCatalog
{
    /// <summary>
    /// Generates one image per row into <paramref name="outputColumnName"/> (Vector&lt;Single, C, H, W&gt;, CHW, values
    /// in [0, 255]) from the 1-based class key in <paramref name="labelColumnName"/> (Key&lt;UInt32&gt;) and the latent
    /// seed in <paramref name="seedColumnName"/> (UInt64; null makes the key the seed, one fixed image per class). The
    /// image of (seed, key k) equals the Pixels of a LoadFromBigGan row with that seed and class k − 1 and the same
    /// options.
    /// </summary>
    /// <remarks>
    /// The pipeline can be saved: the model zip records the mapping's contract (one per output shape, see
    /// <see cref="BigGanImageShapes"/>), not the generator. Loading it needs the generator in
    /// <see cref="BigGanGeneratorRegistry"/> (this method registers it, so the same process needs nothing) or a run
    /// folder in the <see cref="GeneratorRunLoader.EnvironmentVariable"/> environment variable. To carry the weights
    /// inside the zip, use the ONNX route (BigGan.MLNet.Onnx). The fitted transform generates
    /// <see cref="SyntheticImageOptions.BatchSize"/> rows per generator call; a model loaded from a zip (and a
    /// PredictionEngine) generates one row at a time. Every pass over the output regenerates its images: put
    /// <c>AppendCacheCheckpoint</c> after this stage when a trainer makes several passes.
    /// </remarks>
    public static GenerateBigGanImagesEstimator GenerateBigGanImages(this TransformsCatalog catalog, IConditionalImageGenerator generator,
        string outputColumnName = BigGanColumns.Pixels, string labelColumnName = BigGanColumns.Label, string? seedColumnName = BigGanColumns.Seed,
        SyntheticImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var mapper = new LabelKeyImageMapper(new SyntheticImageRenderer(generator, options));
        var r = mapper.Renderer;
        var factory = BigGanImageShapes.Find(r.OutputChannels, r.Resolution)
            ?? throw new NotSupportedException(
                $"GenerateBigGanImages has no built-in output shape {r.OutputChannels}×{r.Resolution}×{r.Resolution} " +
                $"(built in: {string.Join(", ", BigGanImageShapes.BuiltIn.Select(s => $"{s.Channels}×{s.Resolution}×{s.Resolution}"))}). " +
                "Declare a pixel row class and a factory for it (see BigGanImagesFactory<TPixels>) and use the overload that takes the factory.");
        return Create(catalog, factory, mapper, outputColumnName, labelColumnName, seedColumnName);
    }

    /// <summary>
    /// <see cref="GenerateBigGanImages(TransformsCatalog, IConditionalImageGenerator, string, string, string?, SyntheticImageOptions?)"/>
    /// for an output shape declared by the caller through <paramref name="factory"/>.
    /// </summary>
    public static GenerateBigGanImagesEstimator GenerateBigGanImages<TPixels>(this TransformsCatalog catalog, IConditionalImageGenerator generator,
        BigGanImagesFactory<TPixels> factory, string outputColumnName = BigGanColumns.Pixels, string labelColumnName = BigGanColumns.Label,
        string? seedColumnName = BigGanColumns.Seed, SyntheticImageOptions? options = null)
        where TPixels : class, IBigGanPixels, new()
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(factory);
        var mapper = new LabelKeyImageMapper(new SyntheticImageRenderer(generator, options));
        return Create(catalog, factory, mapper, outputColumnName, labelColumnName, seedColumnName);
    }

    /// <summary>
    /// <see cref="GenerateBigGanImages(TransformsCatalog, IConditionalImageGenerator, string, string, string?, SyntheticImageOptions?)"/>
    /// with the generator of a BigGAN run folder, opened through <see cref="GeneratorRunLoader"/>.
    /// </summary>
    public static GenerateBigGanImagesEstimator GenerateBigGanImages(this TransformsCatalog catalog, string runFolder,
        string outputColumnName = BigGanColumns.Pixels, string labelColumnName = BigGanColumns.Label, string? seedColumnName = BigGanColumns.Seed,
        SyntheticImageOptions? options = null)
        => catalog.GenerateBigGanImages(GeneratorRunLoader.Load(runFolder), outputColumnName, labelColumnName, seedColumnName, options);

    private static GenerateBigGanImagesEstimator Create(TransformsCatalog catalog, IBigGanImagesFactory factory, LabelKeyImageMapper mapper,
        string outputColumnName, string labelColumnName, string? seedColumnName)
    {
        var estimator = new GenerateBigGanImagesEstimator(catalog, factory, mapper, outputColumnName, labelColumnName, seedColumnName);
        // A model saved from this pipeline and loaded in this process finds the same generator and options.
        BigGanGeneratorRegistry.Register(mapper);
        return estimator;
    }
}
