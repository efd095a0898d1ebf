namespace BigGan.Training.IO;

/// <summary>
/// A module's state_dict (parameters and persistent buffers) in a safetensors file, checked against the module from
/// the header alone — names, shapes and element types — before any tensor data is read or allocated, so a file that
/// claims a gigabyte tensor the module has no room for is refused in milliseconds, naming the file.
/// </summary>
public static class ModuleStateFile
{
    private const int MaxListed = 20;

    /// <summary>
    /// The file's tensors (header order) and metadata, after checking that they fit <paramref name="module"/>
    /// (<paramref name="what"/> names it in messages, e.g. "G_ema"). With <paramref name="requireFinite"/> a NaN or
    /// infinite value in any floating-point tensor is refused too. The caller owns (disposes) the tensors.
    /// </summary>
    /// <exception cref="ArgumentException">the file's tensors do not fit the module (another architecture).</exception>
    /// <exception cref="InvalidDataException">the file is corrupt, or holds non-finite values when they are refused.</exception>
    public static (OrderedDictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Read(
        string path, string what, torch.nn.Module module, bool requireFinite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(module);
        CheckFits(path, what, module, Safetensors.ReadHeader(path).Entries);
        var (tensors, metadata) = Safetensors.Load(path);
        try
        {
            if (requireFinite) RequireFinite(path, tensors);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>Reads the file (see <see cref="Read"/>) into <paramref name="module"/>; returns the file's metadata.</summary>
    public static Dictionary<string, string> LoadInto(string path, string what, torch.nn.Module module, bool requireFinite = false)
    {
        var (tensors, metadata) = Read(path, what, module, requireFinite);
        try
        {
            module.load_state_dict(new Dictionary<string, Tensor>(tensors));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return metadata;
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the file and every missing, unexpected, mis-shaped or mis-typed
    /// tensor of <paramref name="entries"/> (a header: nothing is read) against the module's state_dict.
    /// Floating-point tensors may be stored in another floating-point type (loading converts); other types must match.
    /// </summary>
    public static void CheckFits(string path, string what, torch.nn.Module module, IEnumerable<SafetensorsEntry> entries)
    {
        var own = new OrderedDictionary<string, (long[] shape, ScalarType dtype)>(StringComparer.Ordinal);
        foreach (var (n, p) in module.named_parameters()) own.Add(n, (p.shape, p.dtype));
        foreach (var (n, b) in module.named_buffers(include_nonpersistent: false)) own.Add(n, (b.shape, b.dtype));
        var saved = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        var missing = own.Keys.Where(k => !saved.ContainsKey(k)).ToList();
        var unexpected = saved.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var misshaped = new List<string>();
        var mistyped = new List<string>();
        foreach (var (name, (shape, dtype)) in own)
        {
            if (!saved.TryGetValue(name, out var e)) continue;
            if (!e.Shape.SequenceEqual(shape))
                misshaped.Add($"{name} (checkpoint [{string.Join(", ", e.Shape)}], model [{string.Join(", ", shape)}])");
            else if (e.DType != dtype && !(e.DType.IsFloatingPoint() && dtype.IsFloatingPoint()))
                mistyped.Add($"{name} (checkpoint {e.DType}, model {dtype})");
        }
        if (missing.Count + unexpected.Count + misshaped.Count + mistyped.Count == 0) return;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add("missing in the checkpoint: " + List(missing));
        if (unexpected.Count > 0) parts.Add("not in the model: " + List(unexpected));
        if (misshaped.Count > 0) parts.Add("different shapes: " + List(misshaped));
        if (mistyped.Count > 0) parts.Add("different element types: " + List(mistyped));
        throw new ArgumentException($"checkpoint file {path} does not fit {what} ({module.GetType().Name}): the architectures differ; {string.Join("; ", parts)}");
    }

    /// <summary>Refuses NaN or infinite values in any floating-point tensor, naming the file, the tensor and the count.</summary>
    /// <exception cref="InvalidDataException">a tensor holds a non-finite value.</exception>
    public static void RequireFinite(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            if (!t.dtype.IsFloatingPoint() || t.numel() == 0) continue;
            using var scope = torch.NewDisposeScope();
            var bad = torch.isfinite(t).logical_not().sum().ToInt64();
            if (bad > 0)
                throw new InvalidDataException($"{path}: tensor '{name}' holds {bad} NaN or infinite value{(bad == 1 ? "" : "s")} of {t.numel()}; " +
                                               "the weights are unusable (training diverged before this checkpoint was saved): use an earlier checkpoint");
        }
    }

    private static string List(IReadOnlyList<string> keys) =>
        keys.Count <= MaxListed ? string.Join(", ", keys) : string.Join(", ", keys.Take(MaxListed)) + $" and {keys.Count - MaxListed} more";
}
