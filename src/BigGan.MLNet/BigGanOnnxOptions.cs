namespace BigGan.MLNet;

/// <summary>How an exported BigGAN generator graph takes its class.</summary>
public enum BigGanOnnxClassInput
{
    /// <summary>float [1, NumClasses] named <c>class_onehot</c> (<c>biggan export --class-input onehot</c>), fed from the
    /// <see cref="BigGanColumns.ClassOneHot"/> column.</summary>
    OneHot,

    /// <summary>int64 [1, 1] named <c>class_index</c> (<c>biggan export</c>'s default, <c>--class-input index-column</c>), fed from
    /// the scalar <see cref="BigGanColumns.ClassIndex"/> column: ML.NET feeds a scalar column as [1, 1], so a graph exported
    /// with <c>--class-input index</c> (int64 [N]) is refused with "Invalid rank for input".</summary>
    Index,
}

/// <summary>Names and shapes of an exported BigGAN generator graph, and where ONNX Runtime runs it.</summary>
public sealed record BigGanOnnxOptions
{
    /// <summary>Graph input holding z, float [N, DimZ].</summary>
    public string LatentInputName { get; init; } = "z";

    private readonly string? _classInputName;

    /// <summary>Graph input holding the class; unset, the name <c>biggan export</c> gives the <see cref="ClassInput"/> kind
    /// (<c>class_index</c> or <c>class_onehot</c>).</summary>
    public string ClassInputName
    {
        get => _classInputName ?? (ClassInput == BigGanOnnxClassInput.OneHot ? "class_onehot" : "class_index");
        init => _classInputName = value;
    }

    /// <summary>The class input's kind; the default matches a graph written by <c>biggan export</c> with its defaults.</summary>
    public BigGanOnnxClassInput ClassInput { get; init; } = BigGanOnnxClassInput.Index;

    /// <summary>Graph output holding the image as float [N, C, H, W] with values in [0, 255].</summary>
    public string OutputName { get; init; } = "pixels";

    /// <summary>GPU for ONNX Runtime; null takes MLContext.GpuDeviceId.</summary>
    public int? GpuDeviceId { get; init; }

    /// <summary>Run on the CPU when the GPU cannot be used, instead of failing.</summary>
    public bool FallbackToCpu { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first blank name or a name used twice.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(LatentInputName);
        ArgumentException.ThrowIfNullOrWhiteSpace(ClassInputName);
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputName);
        if (LatentInputName == ClassInputName || LatentInputName == OutputName || ClassInputName == OutputName)
            throw new ArgumentException($"Graph names must differ: z '{LatentInputName}', class '{ClassInputName}', output '{OutputName}'.");
        if (!Enum.IsDefined(ClassInput)) throw new ArgumentOutOfRangeException(nameof(ClassInput), ClassInput, "Expected OneHot or Index.");
    }
}
