using Microsoft.ML;

namespace BigGan.MLNet;

/// <summary><c>mlContext.Transforms.ApplyBigGanOnnxGenerator(...)</c>: the ONNX deployment route.</summary>
public static class BigGanOnnxCatalog
{
    /// <summary>
    /// Runs the exported generator <paramref name="modelFile"/> on every row: z from <paramref name="latentColumnName"/>
    /// (Vector&lt;Single, DimZ&gt;), the class from <paramref name="classColumnName"/> (ClassOneHot, or ClassIndex with
    /// <see cref="BigGanOnnxClassInput.Index"/>), the image into <paramref name="outputColumnName"/> as
    /// Vector&lt;Single, 1, C, H, W&gt; in [0, 255]. Feed it with
    /// <c>mlContext.Data.LoadFromBigGan(generator, n, BigGanOnnxRoute.RequestOptions(...))</c>. The model file's bytes are
    /// saved inside the ML.NET model zip, so a loaded pipeline needs neither the file nor the generator. Apply only
    /// models from trusted sources. The fitted transformer holds an ONNX Runtime session: dispose it when done.
    /// </summary>
    public static IEstimator<ITransformer> ApplyBigGanOnnxGenerator(this TransformsCatalog catalog, string modelFile, BigGanOnnxGraph graph,
        string outputColumnName = BigGanColumns.Pixels, string latentColumnName = BigGanColumns.Latent, string? classColumnName = null,
        BigGanOnnxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        if (!File.Exists(modelFile)) throw new FileNotFoundException($"ONNX generator '{modelFile}' not found.", modelFile);
        options ??= new BigGanOnnxOptions();
        options.Validate();
        return BigGanOnnxRoute.Build(catalog, graph, outputColumnName, latentColumnName, classColumnName ?? BigGanOnnxRoute.DefaultClassColumn(options), options,
            (outputs, inputs, shapes) => catalog.ApplyOnnxModel(outputs, inputs, modelFile, shapes, options.GpuDeviceId, options.FallbackToCpu));
    }
}
