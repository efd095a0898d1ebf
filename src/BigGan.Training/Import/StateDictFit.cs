using BigGan.Training.Model;

namespace BigGan.Training.Import;

/// <summary>
/// Checks that an imported state dict, renamed to this project's names, fits a module exactly (every parameter and
/// persistent buffer present, nothing extra, same shapes) and loads it as float32. Every mismatch names the tensor
/// both as the file calls it and as the model calls it.
/// </summary>
internal static class StateDictFit
{
    /// <param name="module">Receives the weights.</param>
    /// <param name="tensors">The file's tensors under the model's names.</param>
    /// <param name="fileName">Maps a model name back to the file's name, for messages.</param>
    /// <param name="path">Names the file in messages.</param>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, Func<string, string> fileName, string path)
    {
        var own = new OrderedDictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (n, p) in module.named_parameters()) own.Add(n, p.shape);
        foreach (var (n, b) in module.named_buffers(include_nonpersistent: false)) own.Add(n, b.shape);
        var problems = new List<string>();
        foreach (var (name, shape) in own)
        {
            if (!tensors.TryGetValue(name, out var t)) problems.Add($"the model's '{name}' [{Dims(shape)}] has no '{fileName(name)}' in the file");
            else if (!t.shape.SequenceEqual(shape)) problems.Add($"the file's '{fileName(name)}' is [{Dims(t.shape)}] but the model's '{name}' is [{Dims(shape)}]");
            else if (!t.dtype.IsFloatingPoint()) problems.Add($"the file's '{fileName(name)}' is {t.dtype}, expected floating point");
        }
        foreach (var name in tensors.Keys.Where(k => !own.ContainsKey(k)))
            problems.Add($"the file's '{fileName(name)}' (as '{name}') is not in the model");
        if (problems.Count > 0)
            throw new InvalidDataException($"{path} does not fit the {module.GetType().Name} built for it: " +
                                           string.Join("; ", problems.Take(12)) + (problems.Count > 12 ? $"; and {problems.Count - 12} more" : ""));
        using var scope = NewDisposeScope();
        var converted = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32));
        module.load_state_dict(converted);
    }

    private static string Dims(long[] shape) => string.Join(", ", shape);
}
