using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>Regular checkpoints rotate (the last K are kept); best checkpoints are kept by a metric.</summary>
public enum CheckpointKind
{
    Regular,
    Best,
}

/// <summary>A complete checkpoint folder and its metadata (read from its state file's header).</summary>
public sealed record CheckpointInfo(string Path, CheckpointKind Kind, long Step, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The full configuration JSON saved with the checkpoint.</summary>
    public string ConfigJson => Metadata.TryGetValue(Checkpoint.Keys.Config, out var c) ? c : "{}";

    /// <summary>The data source position, or null when none was saved.</summary>
    public string? DataState => Metadata.GetValueOrDefault(Checkpoint.Keys.DataState);

    /// <summary>The metric a best checkpoint was chosen by, or null.</summary>
    public (string name, double value, bool higherIsBetter)? Metric =>
        Metadata.TryGetValue(Checkpoint.Keys.MetricName, out var n) && Metadata.TryGetValue(Checkpoint.Keys.MetricValue, out var v)
            ? (n, double.Parse(v, CultureInfo.InvariantCulture), Metadata.GetValueOrDefault(Checkpoint.Keys.MetricHigherIsBetter) == "true")
            : null;

    /// <summary>Path of one of the checkpoint's files: <see cref="Checkpoint.GFile"/>, <see cref="Checkpoint.GEmaFile"/>, ...</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);
}

/// <summary>What <see cref="Checkpoint.Load"/> restored, and how the saved configuration differs from the current one.</summary>
public sealed record LoadedCheckpoint(CheckpointInfo Checkpoint, IReadOnlyList<string> ConfigDifferences);

/// <summary>
/// Checkpoints of a training run, as safetensors files in the run folder:
/// <code>
/// run/checkpoints/step-000002000/G.safetensors       G's state_dict (parameters and persistent buffers: SN u vectors, BN stats)
///                               /D.safetensors       D's state_dict
///                               /G_ema.safetensors   the EMA copy's state_dict (when the run keeps one)
///                               /state.safetensors   "G_optim.*" / "D_optim.*" (Adam moments and step counts), "rng.torch"
///                                                    and "rng.&lt;name&gt;" (uint8 generator states); metadata: step, config JSON,
///                                                    data position, metric, user metadata
/// run/checkpoints/best-000001500/...                 the best checkpoint(s) by a metric, same layout
/// </code>
/// Each network file holds plain state_dict keys (loadable on its own, e.g. G_ema for sampling) and carries the step and
/// full config in its metadata too, so a single file is self-describing.
/// <para>
/// Crash safety: a checkpoint is written completely (every file flushed to disk) into a hidden temporary folder, which is
/// then renamed to its final name (an atomic rename on one file system); only then are the oldest checkpoints beyond the
/// kept count deleted. A crash at any point leaves the previous checkpoints intact and at worst a hidden ".tmp-" folder,
/// which listing ignores and the next save removes. A folder named step-N therefore always holds a complete checkpoint.
/// </para>
/// </summary>
public static class Checkpoint
{
    public const string FolderName = "checkpoints";
    public const string GFile = "G.safetensors";
    public const string DFile = "D.safetensors";
    public const string GEmaFile = "G_ema.safetensors";
    public const string StateFile = "state.safetensors";
    public const string FormatVersion = "biggan.net-checkpoint/1";
    public const int DefaultKeep = 2;

    /// <summary>Metadata keys written by this class.</summary>
    public static class Keys
    {
        public const string Format = "biggan.format";
        public const string Step = "biggan.step";
        public const string Kind = "biggan.kind";
        public const string Config = "biggan.config";
        public const string DataState = "biggan.data_state";
        public const string SavedUtc = "biggan.saved_utc";
        public const string Rngs = "biggan.rngs";
        public const string HasEma = "biggan.has_ema";
        public const string MetricName = "biggan.metric.name";
        public const string MetricValue = "biggan.metric.value";
        public const string MetricHigherIsBetter = "biggan.metric.higher_is_better";
    }

    private const string DefaultRngName = "torch";
    private static readonly Regex FolderPattern = new(@"^(step|best)-(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex RngNamePattern = new(@"^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant);

    /// <summary>Test hook: called with each file's path just before it is written (a throw simulates a crash mid-save).</summary>
    [ThreadStatic] internal static Action<string>? BeforeFileWrite;

    /// <summary>The folder holding a run's checkpoints.</summary>
    public static string Folder(string runDir) => Path.Combine(runDir, FolderName);

    /// <summary>
    /// Writes a regular checkpoint of <paramref name="state"/> at its current step, then deletes the oldest regular
    /// checkpoints so that <paramref name="keep"/> remain. Returns the new checkpoint.
    /// </summary>
    public static CheckpointInfo Save(string runDir, TrainingState state, int keep = DefaultKeep)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "at least one checkpoint must be kept");
        var info = Write(runDir, state, CheckpointKind.Regular, metric: null);
        Rotate(runDir, CheckpointKind.Regular, keep, info.Path);
        return info;
    }

    /// <summary>
    /// Saves a best checkpoint when <paramref name="value"/> improves on the current best for the same metric (or there
    /// is none), keeping the last <paramref name="keep"/> best checkpoints. Returns the new checkpoint, or null when
    /// the value is no improvement. Lower is better unless <paramref name="higherIsBetter"/> (FID: lower; IS: higher).
    /// </summary>
    public static CheckpointInfo? SaveBest(string runDir, TrainingState state, string metricName, double value, bool higherIsBetter = false, int keep = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(metricName);
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, $"metric '{metricName}' must be a finite number");
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "at least one checkpoint must be kept");
        var current = Best(runDir);
        if (current?.Metric is { } m && m.name == metricName && !(higherIsBetter ? value > m.value : value < m.value))
            return null;
        var info = Write(runDir, state, CheckpointKind.Best, (metricName, value, higherIsBetter));
        Rotate(runDir, CheckpointKind.Best, keep, info.Path);
        return info;
    }

    /// <summary>Complete checkpoints of the run, oldest step first (all kinds unless <paramref name="kind"/> is given).</summary>
    public static IReadOnlyList<CheckpointInfo> List(string runDir, CheckpointKind? kind = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        var folder = Folder(runDir);
        if (!Directory.Exists(folder)) return [];
        var result = new List<CheckpointInfo>();
        foreach (var dir in Directory.GetDirectories(folder))
        {
            var parsed = Parse(Path.GetFileName(dir));
            if (parsed is null || (kind is not null && parsed.Value.kind != kind)) continue;
            try { result.Add(Read(dir)); }
            // Rotated away by a trainer while listing (rotation renames a checkpoint away in one step): not part of the run any more.
            catch (Exception e) when ((e is DirectoryNotFoundException or FileNotFoundException) && !Directory.Exists(dir)) { }
        }
        return result.OrderBy(c => c.Step).ThenBy(c => c.Kind).ToList();
    }

    /// <summary>The newest regular checkpoint, or null when the run has none.</summary>
    public static CheckpointInfo? Latest(string runDir) => List(runDir, CheckpointKind.Regular).LastOrDefault();

    /// <summary>The newest best checkpoint, or null.</summary>
    public static CheckpointInfo? Best(string runDir) => List(runDir, CheckpointKind.Best).LastOrDefault();

    /// <summary>Reads a checkpoint folder's metadata (cheap: no tensor data is read).</summary>
    /// <exception cref="DirectoryNotFoundException">the folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">a required file is missing.</exception>
    public static CheckpointInfo Read(string checkpointDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDir);
        if (!Directory.Exists(checkpointDir)) throw new DirectoryNotFoundException($"checkpoint folder not found: {checkpointDir}");
        foreach (var f in new[] { GFile, DFile, StateFile })
            RequireFile(Path.Combine(checkpointDir, f));
        var meta = Safetensors.ReadMetadata(Path.Combine(checkpointDir, StateFile));
        var statePath = Path.Combine(checkpointDir, StateFile);
        if (!meta.TryGetValue(Keys.Format, out var format) || format != FormatVersion)
            throw new InvalidDataException($"{statePath} is not a BigGan.NET checkpoint of format {FormatVersion} (found '{format ?? "none"}')");
        if (!meta.TryGetValue(Keys.Step, out var s) || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            throw new InvalidDataException($"{statePath} has no valid '{Keys.Step}' metadata");
        var kind = meta.GetValueOrDefault(Keys.Kind) == "best" ? CheckpointKind.Best : CheckpointKind.Regular;
        return new CheckpointInfo(Path.GetFullPath(checkpointDir), kind, step, meta);
    }

    /// <summary>The folders of a run's complete checkpoints by their names alone (nothing is read: a damaged
    /// checkpoint is listed too), newest step first.</summary>
    public static IReadOnlyList<(string path, long step)> Folders(string runDir, CheckpointKind kind = CheckpointKind.Regular)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        var folder = Folder(runDir);
        if (!Directory.Exists(folder)) return [];
        return Directory.GetDirectories(folder)
            .Select(d => (path: d, parsed: Parse(Path.GetFileName(d))))
            .Where(x => x.parsed is { } p && p.kind == kind)
            .Select(x => (Path.GetFullPath(x.path), x.parsed!.Value.step))
            .OrderByDescending(x => x.Item2)
            .ToList();
    }

    /// <summary>
    /// Loads the newest regular checkpoint that is intact into <paramref name="state"/>: one whose files are
    /// unreadable, truncated or missing, or whose networks hold NaN or infinite values, is skipped for the next older
    /// one, and <paramref name="warn"/> is told which were skipped and why. A checkpoint that is intact but does not
    /// fit the model (another architecture) is an error, as in <see cref="Load"/>: an older one would not fit either.
    /// </summary>
    /// <exception cref="FileNotFoundException">the run has no checkpoint.</exception>
    /// <exception cref="InvalidDataException">no checkpoint of the run is intact (the message lists each one's problem).</exception>
    public static LoadedCheckpoint LoadLatestIntact(string runDir, TrainingState state, Action<string>? warn = null, bool allowConfigChanges = true)
    {
        var folders = Folders(runDir);
        if (folders.Count == 0) throw new FileNotFoundException($"no checkpoint found in {Folder(runDir)} (run folder {runDir})", Folder(runDir));
        var skipped = new List<string>();
        foreach (var (path, _) in folders)
        {
            try
            {
                var loaded = Load(path, state, allowConfigChanges);
                if (skipped.Count > 0)
                    warn?.Invoke($"skipped {skipped.Count} unusable checkpoint(s): {string.Join("; ", skipped)}. Resuming from the newest intact one, {path} (step {loaded.Checkpoint.Step})");
                return loaded;
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or EndOfStreamException)
            {
                skipped.Add($"{Path.GetFileName(path)} ({e.Message})");
            }
        }
        throw new InvalidDataException($"no intact checkpoint in {Folder(runDir)}: {string.Join("; ", skipped)}");
    }

    /// <summary>Loads the newest regular checkpoint of the run into <paramref name="state"/>.</summary>
    /// <exception cref="FileNotFoundException">the run has no checkpoint.</exception>
    public static LoadedCheckpoint LoadLatest(string runDir, TrainingState state, bool allowConfigChanges = true)
    {
        var latest = Latest(runDir) ?? throw new FileNotFoundException($"no checkpoint found in {Folder(runDir)} (run folder {runDir})", Folder(runDir));
        return Load(latest.Path, state, allowConfigChanges);
    }

    /// <summary>
    /// Restores networks, optimizers, RNG states, data position and step from a checkpoint folder. Everything is checked
    /// before anything is changed: a network whose state_dict keys or shapes differ from the checkpoint's fails with an
    /// <see cref="ArgumentException"/> naming the file and the keys. Differences between the saved configuration and
    /// <see cref="TrainingState.ConfigJson"/> are returned (and are an error unless <paramref name="allowConfigChanges"/>).
    /// </summary>
    public static LoadedCheckpoint Load(string checkpointDir, TrainingState state, bool allowConfigChanges = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var info = Read(checkpointDir);
        var differences = CompareConfigs(info.ConfigJson, state.ConfigJson);
        if (!allowConfigChanges && differences.Count > 0)
            throw new ArgumentException($"the configuration of checkpoint {info.Path} differs from the current one: {string.Join("; ", differences)}");
        if (state.GEma is not null) RequireFile(info.File(GEmaFile));

        using var scope = torch.NewDisposeScope();
        // check everything first, each file from its header before its data is read
        var g = ModuleStateFile.Read(info.File(GFile), "G", state.G).tensors;
        var d = ModuleStateFile.Read(info.File(DFile), "D", state.D).tensors;
        var ema = state.GEma is null ? null : ModuleStateFile.Read(info.File(GEmaFile), "G_ema", state.GEma).tensors;
        var stateHeader = Safetensors.ReadHeader(info.File(StateFile));
        CheckOptimizer(info.File(StateFile), "G_optim", state.GOptimizer, ShapesWithPrefix(stateHeader, "G_optim."));
        CheckOptimizer(info.File(StateFile), "D_optim", state.DOptimizer, ShapesWithPrefix(stateHeader, "D_optim."));
        var rest = Safetensors.Load(info.File(StateFile), e => KnownStateEntry(info.File(StateFile), e)).tensors;
        // weights with NaN or infinities produce only NaN: no point to continue from
        ModuleStateFile.RequireFinite(info.File(GFile), g);
        ModuleStateFile.RequireFinite(info.File(DFile), d);
        if (ema is not null) ModuleStateFile.RequireFinite(info.File(GEmaFile), ema);
        var gOpt = WithPrefix(rest, "G_optim.");
        var dOpt = WithPrefix(rest, "D_optim.");
        var rngs = new List<(string name, Tensor saved)>();
        foreach (var name in RngNames(state))
        {
            if (!rest.TryGetValue("rng." + name, out var t))
                throw new ArgumentException($"checkpoint {info.File(StateFile)} has no state for the random generator '{name}' (it has: {string.Join(", ", rest.Keys.Where(k => k.StartsWith("rng.", StringComparison.Ordinal)))})");
            rngs.Add((name, t));
        }
        if (state.Data is not null && info.DataState is null)
            throw new ArgumentException($"checkpoint {info.File(StateFile)} has no data position ('{Keys.DataState}') to restore the batch source from");

        // then restore
        if (state.Data is not null) state.Data.LoadState(info.DataState!);
        foreach (var (name, t) in rngs)
        {
            if (name == DefaultRngName) torch.set_rng_state(t);
            else state.Rngs[name].set_state(t);
        }
        state.G.load_state_dict(new Dictionary<string, Tensor>(g));
        state.D.load_state_dict(new Dictionary<string, Tensor>(d));
        if (ema is not null) state.GEma!.load_state_dict(new Dictionary<string, Tensor>(ema));
        AdamState.Load(state.GOptimizer, gOpt);
        AdamState.Load(state.DOptimizer, dOpt);
        state.Step = info.Step;
        return new LoadedCheckpoint(info, differences);
    }

    /// <summary>
    /// Loads one network file of a checkpoint (e.g. <see cref="GEmaFile"/> for sampling) into a module, checking keys and
    /// shapes first. Returns the file's metadata (step and config).
    /// </summary>
    public static IReadOnlyDictionary<string, string> LoadModule(string checkpointDir, string fileName, torch.nn.Module module)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDir);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(module);
        if (!Directory.Exists(checkpointDir)) throw new DirectoryNotFoundException($"checkpoint folder not found: {checkpointDir}");
        var path = Path.Combine(checkpointDir, fileName);
        RequireFile(path);
        return ModuleStateFile.LoadInto(path, Path.GetFileNameWithoutExtension(fileName), module);
    }

    /// <summary>
    /// Field-by-field differences between two configuration JSON documents ("path: saved X, now Y"), empty when they
    /// are equal as JSON (formatting and field order do not matter).
    /// </summary>
    public static IReadOnlyList<string> CompareConfigs(string savedJson, string currentJson)
    {
        Dictionary<string, string> saved, current;
        try
        {
            saved = Flatten(savedJson);
            current = Flatten(currentJson);
        }
        catch (JsonException)
        {
            return savedJson == currentJson ? [] : ["the configurations differ (one of them is not valid JSON)"];
        }
        var result = new List<string>();
        foreach (var key in saved.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
        {
            var a = saved.GetValueOrDefault(key);
            var b = current.GetValueOrDefault(key);
            if (a != b) result.Add($"{(key.Length == 0 ? "(root)" : key)}: saved {a ?? "(absent)"}, now {b ?? "(absent)"}");
        }
        return result;
    }

    // ---- writing ----

    private static CheckpointInfo Write(string runDir, TrainingState state, CheckpointKind kind, (string name, double value, bool higherIsBetter)? metric)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Step < 0) throw new ArgumentOutOfRangeException(nameof(state), state.Step, "the training step must be >= 0");
        foreach (var key in state.Metadata.Keys)
            if (key.StartsWith("biggan.", StringComparison.Ordinal))
                throw new ArgumentException($"user metadata key '{key}' uses the reserved prefix 'biggan.'", nameof(state));
        var names = RngNames(state).ToList();

        var folder = Folder(runDir);
        Directory.CreateDirectory(folder);
        SweepLeftovers(folder);
        var finalName = $"{(kind == CheckpointKind.Best ? "best" : "step")}-{state.Step:D9}";
        var final = Path.Combine(folder, finalName);
        var tmp = Path.Combine(folder, $".tmp-{finalName}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            var common = new Dictionary<string, string>
            {
                [Keys.Format] = FormatVersion,
                [Keys.Step] = state.Step.ToString(CultureInfo.InvariantCulture),
                [Keys.Kind] = kind == CheckpointKind.Best ? "best" : "regular",
                [Keys.Config] = state.ConfigJson ?? "{}",
                [Keys.SavedUtc] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            using (var scope = torch.NewDisposeScope())
            {
                WriteFile(Path.Combine(tmp, GFile), state.G.state_dict(), common);
                WriteFile(Path.Combine(tmp, DFile), state.D.state_dict(), common);
                if (state.GEma is not null) WriteFile(Path.Combine(tmp, GEmaFile), state.GEma.state_dict(), common);

                var rest = new OrderedDictionary<string, Tensor>();
                foreach (var (k, t) in AdamState.Save(state.GOptimizer)) rest.Add("G_optim." + k, t);
                foreach (var (k, t) in AdamState.Save(state.DOptimizer)) rest.Add("D_optim." + k, t);
                foreach (var name in names)
                {
                    rest.Add("rng." + name, name == DefaultRngName ? torch.get_rng_state() : state.Rngs[name].get_state());
                }
                var meta = new Dictionary<string, string>(common)
                {
                    [Keys.Rngs] = string.Join(",", names),
                    [Keys.HasEma] = state.GEma is null ? "false" : "true",
                };
                if (state.Data is not null) meta[Keys.DataState] = state.Data.SaveState();
                if (metric is { } m)
                {
                    meta[Keys.MetricName] = m.name;
                    meta[Keys.MetricValue] = m.value.ToString("R", CultureInfo.InvariantCulture);
                    meta[Keys.MetricHigherIsBetter] = m.higherIsBetter ? "true" : "false";
                }
                foreach (var (k, v) in state.Metadata) meta[k] = v;
                WriteFile(Path.Combine(tmp, StateFile), rest, meta);
            }
            Publish(tmp, final);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        return Read(final);
    }

    private static void WriteFile(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        BeforeFileWrite?.Invoke(path);
        Safetensors.Save(tensors, path, metadata);
    }

    // Renames the complete temporary folder to its final name. An existing checkpoint of the same name (the same step
    // saved again) is first renamed aside and deleted only after the new one is in place.
    private static void Publish(string tmp, string final)
    {
        string? aside = null;
        if (Directory.Exists(final))
        {
            aside = Path.Combine(Path.GetDirectoryName(final)!, $".old-{Path.GetFileName(final)}-{Guid.NewGuid():N}");
            Directory.Move(final, aside);
        }
        Directory.Move(tmp, final);
        if (aside is not null) TryDelete(aside);
    }

    // Deletes the oldest checkpoints of a kind beyond the kept count (never the one just written).
    private static void Rotate(string runDir, CheckpointKind kind, int keep, string justWritten)
    {
        var folder = Folder(runDir);
        var all = Directory.GetDirectories(folder)
            .Select(d => (dir: d, parsed: Parse(Path.GetFileName(d))))
            .Where(x => x.parsed is { } p && p.kind == kind)
            .OrderByDescending(x => x.parsed!.Value.step)
            .Select(x => x.dir)
            .ToList();
        var full = Path.GetFullPath(justWritten);
        var kept = 1;
        foreach (var dir in all)
        {
            if (Path.GetFullPath(dir) == full) continue;
            if (kept < keep) { kept++; continue; }
            DeleteCheckpoint(dir);
        }
    }

    // Renames first so that a crash during a long recursive delete leaves a hidden leftover, never a half-deleted step-N.
    private static void DeleteCheckpoint(string dir)
    {
        var trash = Path.Combine(Path.GetDirectoryName(dir)!, $".del-{Path.GetFileName(dir)}-{Guid.NewGuid():N}");
        Directory.Move(dir, trash);
        TryDelete(trash);
    }

    // Leftovers of a crash: ".tmp-" (incomplete new checkpoint) and ".del-" folders are deleted; an ".old-NAME-" folder
    // whose NAME is missing (crash between the two renames of Publish) is complete and is put back.
    private static void SweepLeftovers(string folder)
    {
        foreach (var dir in Directory.GetDirectories(folder))
        {
            var name = Path.GetFileName(dir);
            if (name.StartsWith(".tmp-", StringComparison.Ordinal) || name.StartsWith(".del-", StringComparison.Ordinal))
                TryDelete(dir);
            else if (name.StartsWith(".old-", StringComparison.Ordinal))
            {
                var original = name[5..^33]; // ".old-" + NAME + "-" + 32 hex digits
                var target = Path.Combine(folder, original);
                if (Parse(original) is not null && !Directory.Exists(target)) Directory.Move(dir, target);
                else TryDelete(dir);
            }
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static (CheckpointKind kind, long step)? Parse(string folderName)
    {
        var m = FolderPattern.Match(folderName);
        if (!m.Success || !long.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step)) return null;
        return (m.Groups[1].Value == "best" ? CheckpointKind.Best : CheckpointKind.Regular, step);
    }

    // ---- checks ----

    private static IEnumerable<string> RngNames(TrainingState state)
    {
        if (state.IncludeDefaultRng) yield return DefaultRngName;
        foreach (var name in state.Rngs.Keys.Order(StringComparer.Ordinal))
        {
            if (!RngNamePattern.IsMatch(name) || name == DefaultRngName)
                throw new ArgumentException($"invalid generator name '{name}': use letters, digits, '_' and '-', and not '{DefaultRngName}'");
            yield return name;
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint file missing: {path}", path);
    }

    private static OrderedDictionary<string, Tensor> WithPrefix(OrderedDictionary<string, Tensor> all, string prefix)
    {
        var d = new OrderedDictionary<string, Tensor>();
        foreach (var (k, t) in all)
            if (k.StartsWith(prefix, StringComparison.Ordinal)) d.Add(k[prefix.Length..], t);
        return d;
    }

    private const int MaxListed = 20;

    private static string ListKeys(IReadOnlyList<string> keys) =>
        keys.Count <= MaxListed ? string.Join(", ", keys) : string.Join(", ", keys.Take(MaxListed)) + $" and {keys.Count - MaxListed} more";

    /// <summary>Shapes of the state file's entries under <paramref name="prefix"/>, prefix removed (from the header: nothing is read).</summary>
    private static Dictionary<string, long[]> ShapesWithPrefix(SafetensorsHeader header, string prefix) =>
        header.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Name[prefix.Length..], e => e.Shape, StringComparer.Ordinal);

    /// <summary>The largest random-generator state read (a CPU generator's is about 5 KB).</summary>
    private const long MaxRngStateBytes = 1 << 20;

    // Only optimizer and generator states are read from the state file (anything else is skipped unread); a generator
    // state over the bound is refused before it is read.
    private static bool KnownStateEntry(string path, SafetensorsEntry e)
    {
        if (e.Name.StartsWith("rng.", StringComparison.Ordinal))
            return e.ByteCount <= MaxRngStateBytes
                ? true
                : throw new InvalidDataException($"{path}: random-generator state '{e.Name}' is {e.Describe()} ({e.ByteCount} bytes), more than the limit of {MaxRngStateBytes}");
        return e.Name.StartsWith("G_optim.", StringComparison.Ordinal) || e.Name.StartsWith("D_optim.", StringComparison.Ordinal);
    }

    private static void CheckOptimizer(string path, string prefix, Adam optimizer, IReadOnlyDictionary<string, long[]> saved)
    {
        var ps = AdamState.Parameters(optimizer);
        var problems = new List<string>();
        foreach (var (key, shape) in saved)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                || parts[2] is not ("step" or "exp_avg" or "exp_avg_sq"))
                problems.Add($"{prefix}.{key} (unknown key)");
            else if (i >= ps.Count)
                problems.Add($"{prefix}.{key} (the optimizer has {ps.Count} parameters)");
            else if (parts[2] != "step" && !shape.SequenceEqual(ps[i].shape))
                problems.Add($"{prefix}.{key} (checkpoint [{string.Join(", ", shape)}], parameter [{string.Join(", ", ps[i].shape)}])");
            else if (parts[2] == "step" && shape.Aggregate(1L, (a, b) => a * b) != 1)
                problems.Add($"{prefix}.{key} (checkpoint [{string.Join(", ", shape)}], expected one step count)");
        }
        for (int i = 0; i < ps.Count; i++)
        {
            var present = new[] { "step", "exp_avg", "exp_avg_sq" }.Count(s => saved.ContainsKey($"state.{i}.{s}"));
            if (present is not (0 or 3)) problems.Add($"{prefix}.state.{i} (incomplete)");
        }
        if (problems.Count > 0)
            throw new ArgumentException($"checkpoint file {path}: the {prefix} optimizer state does not fit the current optimizer: {ListKeys(problems)}");
    }

    private static Dictionary<string, string> Flatten(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonElement e, string path)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Walk(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name);
                    break;
                case JsonValueKind.Array:
                    // arrays compare as a whole (betas, attention resolutions)
                    result[path] = JsonSerializer.Serialize(e);
                    break;
                default:
                    result[path] = e.GetRawText();
                    break;
            }
        }
        Walk(doc.RootElement, "");
        return result;
    }
}
