namespace BigGan.Training.IO;

/// <summary>The safetensors dtype codes of the element types a checkpoint can hold, and their sizes.</summary>
internal static class SafetensorsDType
{
    private static readonly Dictionary<ScalarType, string> Codes = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> Types = Codes.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    public static bool TryCode(ScalarType type, out string code) => Codes.TryGetValue(type, out code!);

    public static string Code(ScalarType type) => Codes.TryGetValue(type, out var c) ? c : type.ToString();

    public static bool TryParse(string code, out ScalarType type) => Types.TryGetValue(code, out type);

    /// <summary>Bytes per element; every type in the table is 1, 2, 4 or 8 bytes wide.</summary>
    public static int Size(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a safetensors element type"),
    };
}
