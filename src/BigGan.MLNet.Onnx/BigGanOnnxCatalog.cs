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
    /// saved inside the ML.NET model zip, so a loaded pipeline needs neither the file nor the generator. The defaults fit a
    /// graph written by <c>biggan export</c> with its defaults (class_index int64 [1, 1]). Apply only models from trusted
    /// sources. The application needs the native ONNX Runtime: a reference to Microsoft.ML.OnnxRuntime (CPU) or .Gpu. The fitted transformer holds an ONNX Runtime session: dispose it when done.
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
            (outputs, inputs, shapes) => WithRuntimeHint(() => catalog.ApplyOnnxModel(outputs, inputs, modelFile, shapes, options.GpuDeviceId, options.FallbackToCpu)));
    }

    /// <summary>The NuGet package that brings the native CPU ONNX Runtime (OnnxTransformer brings only its managed API).</summary>
    public const string NativeRuntimePackage = "Microsoft.ML.OnnxRuntime";

    // ApplyOnnxModel opens the ONNX Runtime session when it is called; without the native library ML.NET's message
    // names only 'onnxruntime', not the package that is missing.
    private static T WithRuntimeHint<T>(Func<T> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (IsMissingNativeRuntime(e))
        {
            throw new InvalidOperationException(
                $"ONNX Runtime's native library could not be loaded. BigGan.MLNet.Onnx brings only the managed API: add a package reference to " +
                $"{NativeRuntimePackage} 1.32.0 (CPU) or Microsoft.ML.OnnxRuntime.Gpu to the application.", e);
        }
    }

    private static bool IsMissingNativeRuntime(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is DllNotFoundException) return true;
        return false;
    }
}
