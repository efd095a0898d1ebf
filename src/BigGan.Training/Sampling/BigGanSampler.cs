using System.Globalization;
using System.Text.Json.Nodes;
using TorchSharp;
using BigGan.Training.Model;
using BigGan.Training.Synthesis;
using BigGan.Training.Training;
using static TorchSharp.torch;

namespace BigGan.Training.Sampling;

/// <summary>
/// Images from a trained BigGAN generator (by default the EMA copy of a run's latest checkpoint).
/// <list type="bullet">
/// <item>Latents: row i of a sample with seed s is drawn from its own random stream seeded with a hash of (s, i)
/// (<see cref="LatentSampler"/>), so an image depends on (seed, row index) and never on the batch size.</item>
/// <item>Truncation: the paper's by default (every |z_i| &gt; t resampled); the TF-Hub convention as
/// <see cref="Truncation.TFHub"/>.</item>
/// <item>Batch norm: eval mode with running statistics, or standing statistics (<see cref="UseStandingStatistics"/>).</item>
/// <item>Classes: ids, soft mixtures (a weight vector over classes, through the class embedding), or embedded vectors.</item>
/// <item>Batched internally (<see cref="SamplerOptions.BatchSize"/> rows per forward), without autograd (inference mode).</item>
/// </list>
/// Calls are serialised by a lock, so one sampler can be shared between threads. Bad arguments throw
/// <see cref="ArgumentException"/> naming what was wrong. As an <see cref="IConditionalImageGenerator"/> it feeds the
/// synthesis layer and ML.NET (a seed there is a row's own stream seed, see <see cref="LatentSampler.RowSeed"/>).
/// </summary>
public sealed class BigGanSampler : IImageSampler
{
    /// <summary>Optional file of a run folder: one class name per line, in class-index order.</summary>
    public const string ClassNamesFile = "classes.txt";

    /// <summary>How far the weights of a class mixture may sum from 1.</summary>
    public const double MixtureTolerance = 1e-4;

    private readonly object _gate = new();
    private readonly bool _ownsGenerator;
    private BatchNormSnapshot? _runningStatistics;
    private FoldedGenerator? _folded;
    private bool _disposed;

    /// <summary>Wraps a generator. With <paramref name="ownsGenerator"/> the sampler disposes it; otherwise its
    /// batch-norm statistics are restored on dispose if standing statistics replaced them.</summary>
    public BigGanSampler(Model.Generator generator, SamplerOptions? options = null, bool ownsGenerator = false)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var o = (options ?? new SamplerOptions()).Validate();
        Generator = generator;
        _ownsGenerator = ownsGenerator;
        BatchSize = o.BatchSize;
        TruncationConvention = o.TruncationConvention;
        FoldedForward = o.FoldedForward;
        if (o.ClassNames is not null && o.ClassNames.Count != generator.NumClasses)
            throw new ArgumentException($"{o.ClassNames.Count} class names given for a generator of {generator.NumClasses} classes", nameof(options));
        ClassNames = o.ClassNames?.ToArray() ?? Enumerable.Range(0, generator.NumClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (o.Statistics == BatchNormStatistics.Standing) UseStandingStatistics(o.Standing);
    }

    /// <summary>
    /// Loads a generator from a run folder (its latest checkpoint), a checkpoint folder, or a generator
    /// .safetensors file, rebuilding it from the configuration saved in the file's metadata (or the run's config.json).
    /// In a run folder a damaged or incomplete checkpoint is skipped for the next older one (listed in
    /// <see cref="SkippedCheckpoints"/>); a generator that does not fit its configuration is an error, as in resuming.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">the path does not exist.</exception>
    /// <exception cref="FileNotFoundException">the run has no checkpoint, or the requested network file is missing.</exception>
    /// <exception cref="InvalidDataException">the file is not a readable safetensors file, is corrupt (checksum), holds NaN or infinite weights, or carries no usable configuration (outside <see cref="ModelConfig"/>'s limits included); for a run folder, when none of its checkpoints is usable.</exception>
    /// <exception cref="ArgumentException">the weights do not fit the configuration (another architecture).</exception>
    public static BigGanSampler Load(string path, SamplerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = (options ?? new SamplerOptions()).Validate();
        var (sources, runDir) = Resolve(path, o.Weights);
        // A run folder offers its checkpoints newest first: a damaged one is skipped for the next older, as resuming does.
        var skipped = new List<string>();
        foreach (var source in sources)
        {
            try
            {
                var sampler = LoadFile(GeneratorFile(source, o.Weights), runDir, o);
                sampler.SkippedCheckpoints = skipped;
                return sampler;
            }
            catch (Exception e) when (sources.Count > 1 && e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)
            {
                skipped.Add($"{Path.GetFileName(source)} ({e.Message})");
            }
        }
        throw new InvalidDataException($"no usable checkpoint in run folder {path}: {string.Join("; ", skipped)}");
    }

    private static BigGanSampler LoadFile(string file, string? runDir, SamplerOptions o)
    {
        var header = Safetensors.ReadHeader(file);
        var metadata = Safetensors.ReadMetadata(file);
        var (model, train, source) = ReadConfig(file, metadata, runDir);
        CheckConfigFitsFile(model, source, file, header);
        var g = new Model.Generator(model, skipInit: true);
        try
        {
            ModuleStateFile.LoadInto(file, Path.GetFileNameWithoutExtension(file), g, requireFinite: true);
            var names = o.ClassNames ?? ReadClassNames(runDir, model.NumClasses);
            var statistics = o.Statistics ?? (train?.StandingStats == true ? BatchNormStatistics.Standing : BatchNormStatistics.Running);
            var standing = o.Standing ?? new StandingStatisticsOptions
            {
                Accumulations = train?.NumStandingAccumulations ?? 16,
                BatchSize = Math.Max(2, train?.BatchSize ?? 64),
            };
            return new BigGanSampler(g, o with { ClassNames = names, Statistics = statistics, Standing = standing }, ownsGenerator: true)
            {
                SourcePath = file,
                Step = metadata.TryGetValue(Checkpoint.Keys.Step, out var s) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null,
            };
        }
        catch
        {
            g.Dispose();
            throw;
        }
    }

    public Model.Generator Generator { get; }
    public ModelConfig Config => Generator.Config;
    public int NumClasses => Generator.NumClasses;
    public int DimZ => Generator.DimZ;
    public int Channels => Config.Channels;
    public int Resolution => Config.Resolution;

    /// <summary>One name per class, in class-index order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>Whether images come from the folded eval forward (the default) or the generator module's own forward.</summary>
    public bool FoldedForward { get; }

    /// <summary>How a bare number is read as truncation by <see cref="IConditionalImageGenerator.SampleLatents"/>.</summary>
    public TruncationConvention TruncationConvention { get; }

    /// <summary>The file the weights were loaded from (null for a wrapped generator).</summary>
    public string? SourcePath { get; private init; }

    /// <summary>The training step of the loaded checkpoint, when known.</summary>
    public long? Step { get; private init; }

    /// <summary>Newer checkpoints of the run folder that could not be loaded (damaged or incomplete), each with the
    /// reason, when an older one was loaded in their place; empty otherwise.</summary>
    public IReadOnlyList<string> SkippedCheckpoints { get; private set; } = [];

    /// <summary>Which batch-norm statistics the generator currently holds.</summary>
    public BatchNormStatistics Statistics => _runningStatistics is null ? BatchNormStatistics.Running : BatchNormStatistics.Standing;

    /// <summary>No truncation: this project's generator is trained on z ~ N(0, I).</summary>
    public Truncation DefaultTruncation => Truncation.None;

    public string BatchNormSummary => $"{Statistics.ToString().ToLowerInvariant()} BN statistics";

    /// <summary>Any valid truncation: it shapes only the latents.</summary>
    public Truncation CheckTruncation(Truncation truncation, string paramName = "truncation") => truncation.Validate(paramName);

    /// <summary>As <see cref="Onnx.GeneratorExporter.Export(BigGanSampler, string, Onnx.GeneratorExportOptions?)"/>.</summary>
    public void ExportOnnx(string path, Onnx.GeneratorExportOptions options) => Onnx.GeneratorExporter.Export(this, path, options);

    // ------------------------------------------------------------------ statistics

    /// <summary>
    /// Replaces the generator's batch-norm statistics with standing statistics (<see cref="StandingStatistics"/>); the
    /// running statistics are kept and come back with <see cref="UseRunningStatistics"/>. Calling it again recomputes
    /// from the running statistics' state (e.g. at another truncation).
    /// </summary>
    public void UseStandingStatistics(StandingStatisticsOptions? options = null, Truncation? truncation = null)
    {
        var o = (options ?? new StandingStatisticsOptions()).Validate();
        truncation?.Validate(nameof(truncation));
        lock (_gate)
        {
            ThrowIfDisposed();
            Refold();
            if (_runningStatistics is null) _runningStatistics = BatchNormSnapshot.Take(Generator);
            else _runningStatistics.Restore();
            try
            {
                StandingStatistics.Accumulate(Generator, o, truncation);
            }
            catch
            {
                RestoreRunning();
                throw;
            }
        }
    }

    /// <summary>Puts the running statistics back (no-op when they are in use).</summary>
    public void UseRunningStatistics()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            RestoreRunning();
        }
    }

    /// <summary>Drops the cached fold of the generator's constants; call it after changing the weights or batch-norm
    /// statistics of <see cref="Generator"/> directly (the sampler's own methods do it themselves).</summary>
    public void Refresh()
    {
        lock (_gate) Refold();
    }

    private void Refold()
    {
        _folded?.Dispose();
        _folded = null;
    }

    private void RestoreRunning()
    {
        Refold();
        if (_runningStatistics is null) return;
        _runningStatistics.Restore();
        _runningStatistics.Dispose();
        _runningStatistics = null;
    }

    // ------------------------------------------------------------------ latents

    /// <summary>Latents of rows [firstRow, firstRow + count) of the sample seeded with <paramref name="seed"/>: float [count, DimZ].</summary>
    public Tensor Latents(long firstRow, int count, Truncation truncation, ulong seed)
    {
        truncation.Validate(nameof(truncation));
        if (count < 1) throw new ArgumentException($"count is {count}; expected at least 1", nameof(count));
        if (firstRow < 0) throw new ArgumentException($"firstRow is {firstRow}; expected >= 0", nameof(firstRow));
        return LatentSampler.RowsTensor(seed, firstRow, count, DimZ, truncation);
    }

    /// <summary>One latent per seed ([seeds.Length, DimZ] row-major); the seed is the row's own stream seed.</summary>
    public void SampleLatents(ReadOnlySpan<ulong> seeds, Truncation truncation, Span<float> latents)
    {
        truncation.Validate(nameof(truncation));
        if (latents.Length != (long)seeds.Length * DimZ)
            throw new ArgumentException($"latents has {latents.Length} values; {seeds.Length} seeds × DimZ {DimZ} = {(long)seeds.Length * DimZ} expected", nameof(latents));
        LatentSampler.Draw(seeds, truncation, latents);
    }

    void IConditionalImageGenerator.SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents) =>
        SampleLatents(seeds, new Truncation(truncation, TruncationConvention), latents);

    // ------------------------------------------------------------------ the forward pass

    /// <summary>Images float [N, C, R, R] in [−1, 1] for latents z (float [N, DimZ]) and class ids (int64 [N]).</summary>
    public Tensor Generate(Tensor z, Tensor classes)
    {
        var n = CheckZ(z);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.dim() != 1 || classes.dtype != ScalarType.Int64 || classes.shape[0] != n)
            throw new ArgumentException($"classes must be int64 [{n}] (one id per row of z), got {classes.dtype} [{string.Join(", ", classes.shape)}]", nameof(classes));
        CheckClassIds(classes.ToArray<long>(), nameof(classes));
        return Run(n, (folded, start, len) =>
        {
            using var zs = z.narrow(0, start, len);
            using var ys = classes.narrow(0, start, len);
            return folded is null ? Generator.forward(zs, ys) : folded.Forward(zs, ys, embedded: false);
        });
    }

    /// <summary>Images for latents and class mixtures: float [N, NumClasses], each row non-negative and summing to 1
    /// (a one-hot row is a plain class). Mixed through the class embedding (<see cref="Model.Generator.EmbedSoft"/>).</summary>
    public Tensor GenerateMixture(Tensor z, Tensor classWeights)
    {
        var n = CheckZ(z);
        CheckMixtures(classWeights, n);
        using var embedded = EmbedMixture(classWeights);
        return GenerateEmbedded(z, embedded);
    }

    /// <summary>Images for latents and embedded class vectors float [N, <see cref="Model.Generator.ConditionDim"/>]
    /// (from <see cref="Embed"/>, <see cref="EmbedMixture"/>, or an interpolation between them).</summary>
    public Tensor GenerateEmbedded(Tensor z, Tensor classEmbedding)
    {
        var n = CheckZ(z);
        ArgumentNullException.ThrowIfNull(classEmbedding);
        var s = classEmbedding.shape;
        if (s.Length != 2 || s[0] != n || s[1] != Generator.ConditionDim || !classEmbedding.dtype.IsFloatingPoint())
            throw new ArgumentException($"class embedding must be float [{n}, {Generator.ConditionDim}], got {classEmbedding.dtype} [{string.Join(", ", s)}]", nameof(classEmbedding));
        CheckFinite(classEmbedding, nameof(classEmbedding));
        return Run(n, (folded, start, len) =>
        {
            using var zs = z.narrow(0, start, len);
            using var es = classEmbedding.narrow(0, start, len);
            return folded is null ? Generator.ForwardEmbedded(zs, es) : folded.Forward(zs, es, embedded: true);
        });
    }

    /// <summary>Embedded class vectors [N, ConditionDim] of class ids (the shared embedding, or one-hot rows).</summary>
    public Tensor Embed(Tensor classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.dim() != 1 || classes.dtype != ScalarType.Int64)
            throw new ArgumentException($"classes must be int64 [N], got {classes.dtype} [{string.Join(", ", classes.shape)}]", nameof(classes));
        CheckClassIds(classes.ToArray<long>(), nameof(classes));
        lock (_gate)
        {
            ThrowIfDisposed();
            using var _ = no_grad();
            return Generator.Embed(classes);
        }
    }

    /// <summary>Embedded class vectors of class mixtures float [N, NumClasses] (rows non-negative, summing to 1).</summary>
    public Tensor EmbedMixture(Tensor classWeights)
    {
        ArgumentNullException.ThrowIfNull(classWeights);
        CheckMixtures(classWeights, classWeights.dim() == 2 ? classWeights.shape[0] : -1);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var _ = no_grad();
            using var w = classWeights.to(ScalarType.Float32);
            return Generator.EmbedSoft(w);
        }
    }

    // ------------------------------------------------------------------ convenience

    /// <summary>
    /// <paramref name="count"/> images of each listed class, class-major: row r = k·count + j is the j-th image of
    /// classes[k] and uses latent row r of <paramref name="seed"/>. Returns float [classes.Count · count, C, R, R] in [−1, 1].
    /// </summary>
    public Tensor Sample(IReadOnlyList<int> classes, int count, Truncation truncation, ulong seed)
    {
        var rows = RowClasses(classes, count);
        return SampleRows(rows, truncation, seed);
    }

    /// <summary>One image per entry of <paramref name="rowClasses"/>; row i uses latent row firstRow + i of <paramref name="seed"/>.</summary>
    public Tensor SampleRows(ReadOnlySpan<int> rowClasses, Truncation truncation, ulong seed, long firstRow = 0)
    {
        truncation.Validate(nameof(truncation));
        if (rowClasses.Length == 0) throw new ArgumentException("no rows requested: give at least one class", nameof(rowClasses));
        var ids = new long[rowClasses.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = rowClasses[i];
        CheckClassIds(ids, nameof(rowClasses));
        using var scope = NewDisposeScope();
        var z = Latents(firstRow, ids.Length, truncation, seed);
        var y = tensor(ids);
        return Generate(z, y).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="count"/> images of one class mixture (weights over all classes, non-negative, summing to 1).</summary>
    public Tensor SampleMixture(IReadOnlyList<float> weights, int count, Truncation truncation, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(weights);
        truncation.Validate(nameof(truncation));
        if (count < 1) throw new ArgumentException($"count is {count}; expected at least 1", nameof(count));
        if (weights.Count != NumClasses)
            throw new ArgumentException($"the class mixture has {weights.Count} weights; expected one per class ({NumClasses})", nameof(weights));
        using var scope = NewDisposeScope();
        var w = tensor(weights.ToArray(), [1, NumClasses]).expand(count, NumClasses).contiguous();
        var z = Latents(0, count, truncation, seed);
        return GenerateMixture(z, w).MoveToOuterDisposeScope();
    }

    /// <summary>As <see cref="Sample"/>, one CHW float array per image in the requested range.</summary>
    public float[][] SampleChw(IReadOnlyList<int> classes, int count, Truncation truncation, ulong seed, PixelRange range = PixelRange.MinusOneToOne)
    {
        using var images = Sample(classes, count, truncation, seed);
        return GeneratedImages.ToChw(images, range);
    }

    /// <summary>As <see cref="Sample"/>, one PNG file's bytes per image.</summary>
    public byte[][] SamplePng(IReadOnlyList<int> classes, int count, Truncation truncation, ulong seed)
    {
        using var images = Sample(classes, count, truncation, seed);
        return GeneratedImages.ToPng(images);
    }

    /// <summary>
    /// The shape the synthesis layer consumes: images ([n, C, R, R] row-major, in [−1, 1]) for latents ([n, DimZ]) and
    /// class ids ([n]).
    /// </summary>
    public void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images)
    {
        var n = classes.Length;
        if (latents.Length != (long)n * DimZ)
            throw new ArgumentException($"latents has {latents.Length} values; {n} classes × DimZ {DimZ} = {(long)n * DimZ} expected", nameof(latents));
        long per = (long)Channels * Resolution * Resolution;
        if (images.Length != n * per)
            throw new ArgumentException($"images has room for {images.Length} values; {n} images of {Channels}×{Resolution}×{Resolution} need {n * per}", nameof(images));
        if (n == 0) return;
        var ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = classes[i];
        using var scope = NewDisposeScope();
        var z = TensorData.FromSpan(latents, [n, DimZ]);
        var y = tensor(ids);
        Generate(z, y).CopyTo(images);
    }

    /// <summary>Class ids of the rows of <see cref="Sample"/>: each listed class <paramref name="count"/> times, class-major.</summary>
    public int[] RowClasses(IReadOnlyList<int> classes, int count) => SamplerClasses.Rows(classes, count, NumClasses);

    /// <summary>The index of a class given by name (case-insensitive) or number.</summary>
    public int ClassIndex(string nameOrIndex) => SamplerClasses.Index(ClassNames, nameOrIndex);

    // ------------------------------------------------------------------ internals

    // Runs the generator batch by batch in eval mode and inference mode into one output tensor, through a fold of
    // the weights and statistics (cached for an owned generator, made per call for a borrowed one).
    private Tensor Run(long n, Func<FoldedGenerator?, long, long, Tensor> forward)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var output = empty([n, Channels, Resolution, Resolution]);
            try
            {
                using var mode = TrainingModeScope.Eval(Generator);
                using var inference = inference_mode();
                var folded = FoldedForward ? _folded ?? new FoldedGenerator(Generator) : null;
                try
                {
                    for (long start = 0; start < n; start += BatchSize)
                    {
                        var len = Math.Min(BatchSize, n - start);
                        using var scope = NewDisposeScope();
                        var images = forward(folded, start, len);
                        output.narrow(0, start, len).copy_(images);
                    }
                }
                finally
                {
                    // a generator the sampler owns changes only through it, so its fold is kept; a borrowed one may
                    // change between calls (e.g. the EMA copy during training) and is folded afresh each time
                    if (_ownsGenerator && folded is not null) _folded = folded;
                    else folded?.Dispose();
                }
            }
            catch
            {
                output.Dispose();
                throw;
            }
            return output;
        }
    }

    private long CheckZ(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        var s = z.shape;
        if (s.Length != 2 || s[1] != DimZ || !z.dtype.IsFloatingPoint())
            throw new ArgumentException($"z must be float [N, {DimZ}], got {z.dtype} [{string.Join(", ", s)}]", nameof(z));
        if (s[0] < 1) throw new ArgumentException("z has no rows; expected at least one", nameof(z));
        CheckFinite(z, nameof(z));
        return s[0];
    }

    private static void CheckFinite(Tensor t, string name)
    {
        using var scope = NewDisposeScope();
        if (!t.isfinite().all().item<bool>())
            throw new ArgumentException($"{name} contains NaN or infinite values", name);
    }

    private void CheckClassIds(long[] ids, string name) => SamplerClasses.Check(ids, NumClasses, name);

    private void CheckMixtures(Tensor weights, long n)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var s = weights.shape;
        if (s.Length != 2 || s[1] != NumClasses || (n >= 0 && s[0] != n) || !weights.dtype.IsFloatingPoint())
            throw new ArgumentException($"class weights must be float [{(n >= 0 ? n.ToString(CultureInfo.InvariantCulture) : "N")}, {NumClasses}] (one weight per class), got {weights.dtype} [{string.Join(", ", s)}]", nameof(weights));
        using var scope = NewDisposeScope();
        var w = weights.to(ScalarType.Float64).ToArray<double>();
        for (long row = 0; row < s[0]; row++)
        {
            double sum = 0;
            for (long c = 0; c < s[1]; c++)
            {
                var v = w[row * s[1] + c];
                if (!double.IsFinite(v))
                    throw new ArgumentException($"class weights row {row} has a non-finite weight ({v.ToString(CultureInfo.InvariantCulture)}) for class {c}", nameof(weights));
                if (v < 0)
                    throw new ArgumentException($"class weights row {row} has a negative weight ({v.ToString(CultureInfo.InvariantCulture)}) for class {c}; a mixture needs weights >= 0", nameof(weights));
                sum += v;
            }
            if (Math.Abs(sum - 1) > MixtureTolerance)
                throw new ArgumentException($"class weights row {row} sums to {sum.ToString("G6", CultureInfo.InvariantCulture)}; a class mixture must sum to 1 (±{MixtureTolerance.ToString(CultureInfo.InvariantCulture)})", nameof(weights));
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Refold();
            if (_ownsGenerator)
            {
                _runningStatistics?.Dispose();
                Generator.Dispose();
            }
            else
            {
                RestoreRunning();
            }
            _runningStatistics = null;
        }
    }

    // ------------------------------------------------------------------ loading

    // What to load from (a generator file or checkpoint folders, newest first) and the run folder (if known) for a run
    // folder, checkpoint folder or file path.
    private static (IReadOnlyList<string> sources, string? runDir) Resolve(string path, GeneratorWeights weights)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (weights != GeneratorWeights.Auto)
                throw new ArgumentException($"{path} is a file; SamplerOptions.Weights = {weights} applies to run and checkpoint folders only", nameof(path));
            return ([full], RunDirOf(Path.GetDirectoryName(full)!) ?? Path.GetDirectoryName(full));
        }
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{path} does not exist: expected a run folder, a checkpoint folder or a generator .safetensors file");
        if (File.Exists(Path.Combine(full, Checkpoint.GFile)) || File.Exists(Path.Combine(full, Checkpoint.GEmaFile)))
            return ([full], RunDirOf(full) ?? full);   // a folder holding the generator itself (an imported run) is its own run folder
        if (Directory.Exists(Checkpoint.Folder(full)))
        {
            // By name alone (a damaged checkpoint is still offered, then skipped); best checkpoints after the regular ones.
            var checkpoints = Checkpoint.Folders(full).Concat(Checkpoint.Folders(full, CheckpointKind.Best)).Select(c => c.path).ToList();
            if (checkpoints.Count == 0)
                throw new FileNotFoundException($"run folder {path} holds no complete checkpoint in {Checkpoint.Folder(path)}", Checkpoint.Folder(full));
            return (checkpoints, full);
        }
        if (Import.HuggingFaceRun.IsRun(full))
        {
            throw new ArgumentException($"{path} is a run folder of an imported Hugging Face BigGAN-deep, not of this project's generator: " +
                                        $"open it with {nameof(RunSamplers)}.{nameof(RunSamplers.Open)} (which the biggan commands use) or Import.HuggingFaceSampler.Load", nameof(path));
        }
        throw new FileNotFoundException(
            $"{path} is neither a run folder (with a '{Checkpoint.FolderName}' subfolder) nor a checkpoint folder (with {Checkpoint.GEmaFile} or {Checkpoint.GFile})",
            Path.Combine(full, Checkpoint.GEmaFile));
    }

    // The generator file of a source: the file itself, or a checkpoint folder's EMA or raw generator.
    private static string GeneratorFile(string source, GeneratorWeights weights)
    {
        if (File.Exists(source)) return source;
        var ema = Path.Combine(source, Checkpoint.GEmaFile);
        var raw = Path.Combine(source, Checkpoint.GFile);
        var file = weights switch
        {
            GeneratorWeights.Ema => ema,
            GeneratorWeights.Raw => raw,
            _ => File.Exists(ema) ? ema : raw,
        };
        if (!File.Exists(file))
            throw new FileNotFoundException(weights == GeneratorWeights.Ema ? MissingEmaMessage(source, file) : $"checkpoint file missing: {file}", file);
        return file;
    }

    // Whether the run kept an EMA copy is recorded in the state file; a file the run should have is reported missing.
    private static string MissingEmaMessage(string checkpointDir, string file)
    {
        var state = Path.Combine(checkpointDir, Checkpoint.StateFile);
        string? hasEma = null;
        try { if (File.Exists(state)) hasEma = Safetensors.ReadMetadata(state).GetValueOrDefault(Checkpoint.Keys.HasEma); }
        catch (InvalidDataException) { } // a damaged state file: say only what is certain
        return hasEma == "false"
            ? $"checkpoint {checkpointDir} has no EMA generator ({Checkpoint.GEmaFile}): the run was trained without EMA; use --weights raw"
            : $"checkpoint file missing: {file} (--weights ema needs the EMA generator; " +
              (hasEma == "true" ? "the run kept one, so the file was deleted or lost)" : "use --weights raw for the trained G)");
    }

    // run/checkpoints/step-N → run
    private static string? RunDirOf(string checkpointDir)
    {
        var parent = Directory.GetParent(checkpointDir);
        return parent is not null && parent.Name == Checkpoint.FolderName && parent.Parent is { } run ? run.FullName : null;
    }

    // The configuration, and where it came from (for messages).
    private static (ModelConfig model, TrainConfig? train, string source) ReadConfig(string file, IReadOnlyDictionary<string, string> metadata, string? runDir)
    {
        if (metadata.TryGetValue(Checkpoint.Keys.Config, out var json) && json.Trim() is { Length: > 2 } trimmed)
        {
            var source = $"the configuration in the metadata of {file}";
            var (model, train) = ParseConfig(trimmed, source);
            return (model, train, source);
        }
        var runConfig = runDir is null ? null : Path.Combine(runDir, RunConfig.FileName);
        if (runConfig is not null && File.Exists(runConfig))
        {
            var (model, train) = ParseConfig(File.ReadAllText(runConfig), runConfig);
            return (model, train, runConfig);
        }
        throw new InvalidDataException($"{file} carries no model configuration ('{Checkpoint.Keys.Config}' metadata) and no run {RunConfig.FileName} was found next to it; " +
                                       "it was not written by BigGan.NET's trainer");
    }

    // A configuration that describes a bigger generator than the file holds values for is refused before the generator
    // is built: a tampered or mismatched configuration could otherwise allocate gigabytes first.
    private static void CheckConfigFitsFile(ModelConfig model, string source, string file, IO.SafetensorsHeader header)
    {
        long needed = model.MinimumGeneratorParameters(), held = header.Entries.Sum(e => e.ElementCount);
        if (needed > held)
            throw new ArgumentException(
                $"{source} describes a generator of at least {needed:N0} parameters (resolution {model.Resolution}, g-ch {model.GCh}, " +
                $"{model.NumClasses} classes, dim-z {model.DimZ}), but {file} holds only {held:N0} values: the architectures differ, " +
                "the configuration does not belong to these weights");
    }

    private static (ModelConfig model, TrainConfig? train) ParseConfig(string json, string source)
    {
        try
        {
            var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source} is not a JSON object");
            if (root["model"] is JsonObject)
            {
                var run = RunConfig.FromJson(json, source);
                return (run.Model, run.Train);
            }
            return (ModelConfig.FromJson(json), null);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
        {
            // ArgumentException appends " (Parameter 'GCh')"; the message already names the field
            var why = e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
            throw new InvalidDataException($"{source} is not a usable BigGAN configuration: {why}", e);
        }
    }

    internal static IReadOnlyList<string>? ReadClassNames(string? runDir, int numClasses)
    {
        if (runDir is null) return null;
        var path = Path.Combine(runDir, ClassNamesFile);
        if (!File.Exists(path)) return null;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != numClasses)
            throw new InvalidDataException($"{path} lists {names.Length} class names but the generator has {numClasses} classes");
        return names;
    }
}
