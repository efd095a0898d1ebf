using Microsoft.ML;

namespace BigGan.MLNet;

/// <summary>
/// The deployment route: an exported generator run by ML.NET's ApplyOnnxModel, so its weights travel inside the ML.NET
/// model zip. Rows come from <c>LoadFromBigGan</c> with the latent and class columns (<see cref="RequestOptions"/>);
/// ONNX binds columns to graph inputs by name, so the route copies them to the graph's names, runs the graph with a
/// shape dictionary that fixes the batch at 1 (ML.NET runs one row at a time) and copies the output to the caller's
/// column. BigGan.MLNet.Onnx calls <see cref="Build"/> with ApplyOnnxModel; this part needs no ONNX Runtime.
/// </summary>
public static class BigGanOnnxRoute
{
    /// <summary>Shapes for ApplyOnnxModel: z [1, DimZ], the class input [1, NumClasses] or [1, 1], the output [1, C, H, W].</summary>
    public static IDictionary<string, int[]> ShapeDictionary(BigGanOnnxGraph graph, BigGanOnnxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        graph.Validate();
        options ??= new BigGanOnnxOptions();
        options.Validate();
        return new Dictionary<string, int[]>
        {
            [options.LatentInputName] = [1, graph.DimZ],
            [options.ClassInputName] = options.ClassInput == BigGanOnnxClassInput.OneHot ? [1, graph.NumClasses] : [1, 1],
            [options.OutputName] = [1, graph.Channels, graph.Resolution, graph.Resolution],
        };
    }

    /// <summary>Data options that make LoadFromBigGan emit the graph's inputs (Latent, and ClassOneHot when one-hot) and no Pixels.</summary>
    public static BigGanDataOptions RequestOptions(BigGanDataOptions? options = null, BigGanOnnxOptions? onnx = null)
    {
        options ??= new BigGanDataOptions();
        onnx ??= new BigGanOnnxOptions();
        return options with
        {
            IncludeLatent = true,
            IncludeClassOneHot = options.IncludeClassOneHot || onnx.ClassInput == BigGanOnnxClassInput.OneHot,
            IncludePixels = false,
        };
    }

    /// <summary>The column a class input is fed from by default.</summary>
    public static string DefaultClassColumn(BigGanOnnxOptions options)
        => options.ClassInput == BigGanOnnxClassInput.OneHot ? BigGanColumns.ClassOneHot : BigGanColumns.ClassIndex;

    /// <summary>
    /// The route as an estimator: copy <paramref name="latentColumnName"/> and <paramref name="classColumnName"/> to
    /// the graph's input names, <paramref name="applyOnnx"/>(outputNames, inputNames, shapes), copy the graph output to
    /// <paramref name="outputColumnName"/>, drop the copies. Columns already named like the graph are used as they are.
    /// </summary>
    public static IEstimator<ITransformer> Build(TransformsCatalog catalog, BigGanOnnxGraph graph, string outputColumnName, string latentColumnName,
        string classColumnName, BigGanOnnxOptions options, Func<string[], string[], IDictionary<string, int[]>, IEstimator<ITransformer>> applyOnnx)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(applyOnnx);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(latentColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(classColumnName);
        var shapes = ShapeDictionary(graph, options);

        var steps = new List<IEstimator<ITransformer>>();
        var created = new List<string>();
        void Copy(string to, string from)
        {
            if (to == from) return;
            steps.Add(catalog.CopyColumns(to, from));
            created.Add(to);
        }

        Copy(options.LatentInputName, latentColumnName);
        Copy(options.ClassInputName, classColumnName);
        steps.Add(applyOnnx([options.OutputName], [options.LatentInputName, options.ClassInputName], shapes));
        if (outputColumnName != options.OutputName)
        {
            steps.Add(catalog.CopyColumns(outputColumnName, options.OutputName));
            created.Add(options.OutputName);
        }
        if (created.Count > 0) steps.Add(catalog.DropColumns(created.ToArray()));

        IEstimator<ITransformer> chain = steps[0];
        foreach (var step in steps.Skip(1)) chain = chain.Append(step);
        return chain;
    }
}
