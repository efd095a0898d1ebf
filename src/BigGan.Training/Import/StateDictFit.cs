using BigGan.Training.Model;

namespace BigGan.Training.Import;

/// <summary>
/// Checks that an imported state dict fits a network exactly (every parameter and persistent buffer present, nothing
/// extra, same shapes, floating point), naming every mismatch; loads it as float32.
/// </summary>
internal static class StateDictFit
{
    /// <param name="module">Receives the weights.</param>
    /// <param name="tensors">The file's tensors under the model's names.</param>
    /// <param name="path">Names the file in messages.</param>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        var own = new OrderedDictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (n, p) in module.named_parameters()) own.Add(n, p.shape);
        foreach (var (n, b) in module.named_buffers(include_nonpersistent: false)) own.Add(n, b.shape);
        Check(own, tensors, $"{path} does not fit the {module.GetType().Name} built for it");
        using var scope = NewDisposeScope();
        var converted = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32));
        module.load_state_dict(converted);
    }

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> starting with <paramref name="what"/> and listing every tensor of
    /// <paramref name="expected"/> that is missing, of another shape or not floating point, and every extra one.
    /// </summary>
    public static void Check(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, Tensor> tensors, string what)
    {
        var problems = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var t)) problems.Add($"'{name}' [{Dims(shape)}] is missing");
            else if (!t.shape.SequenceEqual(shape)) problems.Add($"the file's '{name}' is [{Dims(t.shape)}], expected [{Dims(shape)}]");
            else if (!t.dtype.IsFloatingPoint()) problems.Add($"the file's '{name}' is {t.dtype}, expected floating point");
        }
        foreach (var name in tensors.Keys.Where(k => !expected.ContainsKey(k)))
            problems.Add($"the file's '{name}' has no place in the model");
        if (problems.Count > 0)
            throw new InvalidDataException($"{what}: " + string.Join("; ", problems.Take(12)) + (problems.Count > 12 ? $"; and {problems.Count - 12} more" : ""));
    }

    private static string Dims(long[] shape) => string.Join(", ", shape);
}
