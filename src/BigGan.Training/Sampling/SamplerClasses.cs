using System.Globalization;

namespace BigGan.Training.Sampling;

/// <summary>Class ids and names as every <see cref="IImageSampler"/> checks and looks them up, so both generator
/// kinds answer a bad class with the same message.</summary>
internal static class SamplerClasses
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first id outside 0..numClasses − 1.</summary>
    public static void Check(long[] ids, int numClasses, string name)
    {
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] < 0 || ids[i] >= numClasses)
                throw new ArgumentException($"{name}[{i}] is class {ids[i]}, out of range: the generator has {numClasses} classes (0..{numClasses - 1})", name);
    }

    /// <summary>Each listed class <paramref name="count"/> times, class-major.</summary>
    public static int[] Rows(IReadOnlyList<int> classes, int count, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) throw new ArgumentException("no classes given: list at least one class index", nameof(classes));
        if (count < 1) throw new ArgumentException($"count is {count}; expected at least 1 image per class", nameof(count));
        Check(classes.Select(c => (long)c).ToArray(), numClasses, nameof(classes));
        var rows = new int[checked(classes.Count * count)];
        for (int k = 0; k < classes.Count; k++) rows.AsSpan(k * count, count).Fill(classes[k]);
        return rows;
    }

    /// <summary>The index of a class given by name (case-insensitive) or number.</summary>
    public static int Index(IReadOnlyList<string> names, string nameOrIndex)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrIndex);
        var s = nameOrIndex.Trim();
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], s, StringComparison.OrdinalIgnoreCase)) return i;
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index >= names.Count)
                throw new ArgumentException($"class {index} is out of range: the generator has {names.Count} classes (0..{names.Count - 1})", nameof(nameOrIndex));
            return index;
        }
        throw new ArgumentException($"unknown class '{s}'; expected a class index 0..{names.Count - 1} or one of: {string.Join(", ", names.Take(20))}{(names.Count > 20 ? ", ..." : "")}", nameof(nameOrIndex));
    }
}
