namespace BigGan.Training.IO;

/// <summary>
/// One tensor as a safetensors header describes it: name, element type, shape and where its bytes lie, counted from
/// the start of the data section (<see cref="Begin"/> inclusive, <see cref="End"/> exclusive).
/// </summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>The size of the tensor's data in bytes (validated to equal the element count times the element size).</summary>
    public long ByteCount => End - Begin;

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>"F32 [2, 3]": how messages show a tensor.</summary>
    public string Describe() => $"{SafetensorsDType.Code(DType)} [{string.Join(", ", Shape)}]";
}
