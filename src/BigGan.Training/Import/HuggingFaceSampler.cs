using System.Globalization;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;

namespace BigGan.Training.Import;

/// <summary>
/// Images from an imported Hugging Face BigGAN-deep (<see cref="HuggingFaceRun"/>), behind the same
/// <see cref="IImageSampler"/> as this project's generator. BigGAN-deep's batch-norm statistics depend on the
/// truncation, so a sampler is opened for one truncation (<see cref="Truncation"/>, TF-Hub convention
/// <c>tfhub:t</c>: z = t × a normal truncated at ±2, 0 &lt; t ≤ 1) and uses it for both the latents and the
/// statistics; asking it for another truncation is refused with a message saying what it accepts. Its "class
/// embedding" is the class vector itself (one-hot, or points between classes): the model embeds it linearly, so
/// interpolating class vectors interpolates the embeddings. Calls are serialised by a lock.
/// </summary>
public sealed class HuggingFaceSampler : IImageSampler
{
    /// <summary>The truncation opened when none is asked for: the widest latents the statistics cover.</summary>
    public static readonly Truncation DefaultOpenTruncation = Sampling.Truncation.TFHub(1.0);

    private readonly object _gate = new();
    private readonly bool _ownsModel;
    private bool _disposed;

    /// <param name="model">The generator.</param>
    /// <param name="truncation">tfhub:t with 0 &lt; t ≤ 1 (see <see cref="Resolve"/>).</param>
    /// <param name="classNames">One per class; null: ImageNet's names for a 1,000-class model, else the class numbers.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="ownsModel">Dispose <paramref name="model"/> with the sampler.</param>
    public HuggingFaceSampler(HuggingFaceBigGan model, Truncation truncation, IReadOnlyList<string>? classNames = null, int batchSize = 64, bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentException($"batch size {batchSize}: expected at least 1", nameof(batchSize));
        if (classNames is not null && classNames.Count != model.NumClasses)
            throw new ArgumentException($"{classNames.Count} class names given for a generator of {model.NumClasses} classes", nameof(classNames));
        Model = model;
        Truncation = Resolve(truncation, nameof(truncation));
        BatchSize = batchSize;
        _ownsModel = ownsModel;
        ClassNames = classNames?.ToArray() ?? (model.NumClasses == ImageNetClasses.Count ? ImageNetClasses.Names
            : Enumerable.Range(0, model.NumClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>
    /// Opens the run folder written by <see cref="HuggingFaceRun.Import"/> for <see cref="SamplerOptions.Truncation"/>
    /// (null: tfhub:1). Options that belong to this project's generator are refused when set to anything else:
    /// <see cref="SamplerOptions.Weights"/> raw (there is one generator) and standing statistics (BigGAN-deep keeps
    /// its statistics per truncation).
    /// </summary>
    public static HuggingFaceSampler Load(string runDir, SamplerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        var o = (options ?? new SamplerOptions()).Validate();
        if (o.Weights == GeneratorWeights.Raw)
            throw new ArgumentException($"{runDir} holds one imported generator, with no separate raw G: ask for the default weights (auto, or ema)");
        if (o.Statistics == BatchNormStatistics.Standing)
            throw new ArgumentException($"{runDir} is a Hugging Face BigGAN-deep: its batch-norm statistics are stored per truncation and picked by it, so standing statistics do not apply");
        var truncation = Resolve(o.Truncation ?? DefaultOpenTruncation, "truncation");
        var model = HuggingFaceRun.LoadModel(runDir);
        try
        {
            var names = o.ClassNames ?? BigGanSampler.ReadClassNames(runDir, model.NumClasses);
            return new HuggingFaceSampler(model, truncation, names, o.BatchSize) { SourcePath = Path.GetFullPath(Path.Combine(runDir, HuggingFaceRun.WeightsFile)) };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The truncation as BigGAN-deep takes it: tfhub:t with 0 &lt; t ≤ 1. A plain number (the paper's resampling) or
    /// none would draw latents its statistics were not computed for, so they are refused, naming what is accepted.
    /// </summary>
    public static Truncation Resolve(Truncation truncation, string paramName = "truncation")
    {
        if (truncation.Convention == TruncationConvention.TFHub && truncation.Value > 0 && truncation.Value <= 1) return truncation;
        var got = truncation.Convention == TruncationConvention.TFHub ? $"'{truncation}' is outside 0 < t <= 1"
            : double.IsPositiveInfinity(truncation.Value) ? "'none' (untruncated N(0, I)) is not among them"
            : $"'{truncation}' (the paper's convention: resample |z| > t) is not among them";
        throw new ArgumentException($"a Hugging Face BigGAN-deep samples with the TF-Hub convention only, tfhub:t with 0 < t <= 1 " +
                                    $"(z = t × a normal truncated at ±2; t also picks its batch-norm statistics), e.g. tfhub:0.4 or tfhub:1; {got}", paramName);
    }

    public HuggingFaceBigGan Model { get; }

    /// <summary>The truncation of the latents and of the batch-norm statistics.</summary>
    public Truncation Truncation { get; }

    public int NumClasses => Model.NumClasses;
    public int Channels => 3;
    public int Resolution => Model.Resolution;
    public int DimZ => Model.DimZ;
    public IReadOnlyList<string> ClassNames { get; }
    public int BatchSize { get; }
    public string? SourcePath { get; private init; }
    public long? Step => null;
    public Truncation DefaultTruncation => Truncation;
    public string BatchNormSummary => $"BN statistics for truncation {Truncation}";

    /// <summary>The sampler's own truncation; any other is refused (open another sampler for it).</summary>
    public Truncation CheckTruncation(Truncation truncation, string paramName = "truncation")
    {
        Resolve(truncation, paramName);
        if (Math.Abs(truncation.Value - Truncation.Value) > 1e-6)
            throw new ArgumentException($"{paramName} {truncation}: this Hugging Face BigGAN-deep was opened for {Truncation}, and its batch-norm statistics " +
                                        $"are those of that truncation; open it for {truncation} (SamplerOptions.Truncation, or --truncation on the command line)", paramName);
        return truncation;
    }

    public Tensor Latents(long firstRow, int count, Truncation truncation, ulong seed)
    {
        CheckTruncation(truncation, nameof(truncation));
        if (count < 1) throw new ArgumentException($"count is {count}; expected at least 1", nameof(count));
        if (firstRow < 0) throw new ArgumentException($"firstRow is {firstRow}; expected >= 0", nameof(firstRow));
        return LatentSampler.RowsTensor(seed, firstRow, count, DimZ, truncation);
    }

    public Tensor Generate(Tensor z, Tensor classes)
    {
        using var classVectors = Embed(classes);
        return GenerateEmbedded(z, classVectors);
    }

    /// <summary>One-hot class vectors float [N, NumClasses] of class ids (int64 [N]).</summary>
    public Tensor Embed(Tensor classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.dim() != 1 || classes.dtype != ScalarType.Int64)
            throw new ArgumentException($"classes must be int64 [N], got {classes.dtype} [{string.Join(", ", classes.shape)}]", nameof(classes));
        SamplerClasses.Check(classes.ToArray<long>(), NumClasses, nameof(classes));
        return nn.functional.one_hot(classes, NumClasses).to(ScalarType.Float32);
    }

    /// <summary>Images for latents (float [N, DimZ], drawn with <see cref="Truncation"/>) and class vectors float
    /// [N, NumClasses] (one-hot, class weights, or points between them).</summary>
    public Tensor GenerateEmbedded(Tensor z, Tensor classEmbedding)
    {
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(classEmbedding);
        if (z.dim() != 2 || z.shape[1] != DimZ || z.shape[0] < 1 || !z.dtype.IsFloatingPoint())
            throw new ArgumentException($"z must be float [N, {DimZ}] with N >= 1, got {z.dtype} [{string.Join(", ", z.shape)}]", nameof(z));
        var n = z.shape[0];
        if (classEmbedding.dim() != 2 || classEmbedding.shape[0] != n || classEmbedding.shape[1] != NumClasses || !classEmbedding.dtype.IsFloatingPoint())
            throw new ArgumentException($"class vectors must be float [{n}, {NumClasses}], got {classEmbedding.dtype} [{string.Join(", ", classEmbedding.shape)}]", nameof(classEmbedding));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var output = empty([n, Channels, Resolution, Resolution]);
            using var _ = no_grad();
            for (long start = 0; start < n; start += BatchSize)
            {
                var len = Math.Min(BatchSize, n - start);
                using var scope = NewDisposeScope();
                output.narrow(0, start, len).copy_(Model.Forward(z.narrow(0, start, len), classEmbedding.narrow(0, start, len), Truncation.Value));
            }
            return output;
        }
    }

    public Tensor SampleRows(ReadOnlySpan<int> rowClasses, Truncation truncation, ulong seed, long firstRow = 0)
    {
        CheckTruncation(truncation, nameof(truncation));
        if (rowClasses.Length == 0) throw new ArgumentException("no rows requested: give at least one class", nameof(rowClasses));
        var ids = new long[rowClasses.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = rowClasses[i];
        SamplerClasses.Check(ids, NumClasses, nameof(rowClasses));
        using var scope = NewDisposeScope();
        var z = Latents(firstRow, ids.Length, truncation, seed);
        return Generate(z, tensor(ids)).MoveToOuterDisposeScope();
    }

    public Tensor Sample(IReadOnlyList<int> classes, int count, Truncation truncation, ulong seed) =>
        SampleRows(RowClasses(classes, count), truncation, seed);

    public int[] RowClasses(IReadOnlyList<int> classes, int count) => SamplerClasses.Rows(classes, count, NumClasses);

    public int ClassIndex(string nameOrIndex) => SamplerClasses.Index(ClassNames, nameOrIndex);

    /// <summary>The graph at <see cref="Truncation"/> (<see cref="HuggingFaceOnnxExporter"/>), with the class input,
    /// batch and opset of <paramref name="options"/>; it records the TF-Hub convention whatever the options say.</summary>
    public void ExportOnnx(string path, GeneratorExportOptions options)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            HuggingFaceOnnxExporter.Export(Model, Truncation.Value, path, options with { ClassNames = options.ClassNames ?? ClassNames });
        }
    }

    // IConditionalImageGenerator (the synthesis layer, ML.NET): a bare number is tfhub:t, and infinity ("no
    // truncation", the synthesis layer's way of saying "the generator's own") means the sampler's truncation.
    void IConditionalImageGenerator.SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents)
    {
        // a float's t (0.4f) is checked against the sampler's (0.4) and then the sampler's own is drawn with, so the
        // latents equal those of the tensor API bit for bit
        if (!float.IsPositiveInfinity(truncation)) CheckTruncation(Sampling.Truncation.TFHub(truncation), nameof(truncation));
        var t = Truncation;
        if (latents.Length != (long)seeds.Length * DimZ)
            throw new ArgumentException($"latents has {latents.Length} values; {seeds.Length} seeds × DimZ {DimZ} expected", nameof(latents));
        LatentSampler.Draw(seeds, t, latents);
    }

    void IConditionalImageGenerator.Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images)
    {
        var n = classes.Length;
        if (latents.Length != (long)n * DimZ) throw new ArgumentException($"latents has {latents.Length} values; {n} classes × DimZ {DimZ} expected", nameof(latents));
        var pixels = (long)Channels * Resolution * Resolution;
        if (images.Length != n * pixels) throw new ArgumentException($"images has {images.Length} values; {n} × {pixels} expected", nameof(images));
        if (n == 0) return;
        using var scope = NewDisposeScope();
        var z = tensor(latents.ToArray(), [n, DimZ]);
        var y = tensor(classes.ToArray().Select(c => (long)c).ToArray());
        Generate(z, y).data<float>().CopyTo(images);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsModel) Model.Dispose();
        }
    }
}
