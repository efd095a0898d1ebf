using BigGan.Training.Sampling;

namespace BigGan.Training.Onnx;

/// <summary>Shape and metadata of an exported generator graph (<see cref="GeneratorExporter"/>).</summary>
public sealed record GeneratorExportOptions
{
    /// <summary>Index (int64 [N]) is ONNX Runtime's natural form; ML.NET's ApplyOnnxModel feeds a scalar column as [1, 1]
    /// and needs <see cref="OnnxClassInput.IndexColumn"/> or <see cref="OnnxClassInput.OneHot"/>, which is why
    /// <c>biggan export</c> defaults to IndexColumn.</summary>
    public OnnxClassInput ClassInput { get; init; } = OnnxClassInput.Index;

    /// <summary>A symbolic batch dimension "N"; off means a fixed batch of 1, which is what ML.NET's OnnxTransformer feeds.</summary>
    public bool DynamicBatch { get; init; }

    /// <summary>ONNX opset: 13 by default; 11 for older runtimes (up to 17 accepted).</summary>
    public int Opset { get; init; } = OnnxGraphBuilder.DefaultOpset;

    /// <summary>Class names stored in the metadata (class-index order); null stores the class numbers.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The truncation convention the graph's z is meant to be drawn with (z is sampled outside the graph).</summary>
    public TruncationConvention TruncationConvention { get; init; } = TruncationConvention.Paper;

    /// <summary>Recorded in the metadata: which batch-norm statistics the graph's constants are.</summary>
    public BatchNormStatistics Statistics { get; init; } = BatchNormStatistics.Running;

    /// <summary>Training step of the weights, recorded in the metadata when known.</summary>
    public long? Step { get; init; }

    /// <summary>Further metadata properties (keys must not start with "biggan.").</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public GeneratorExportOptions Validate()
    {
        if (!Enum.IsDefined(ClassInput)) throw new ArgumentException($"GeneratorExportOptions.ClassInput is {(int)ClassInput}; expected Index, OneHot or IndexColumn", nameof(ClassInput));
        if (Opset is < OnnxGraphBuilder.MinOpset or > OnnxGraphBuilder.MaxOpset)
            throw new ArgumentException($"GeneratorExportOptions.Opset is {Opset}; expected {OnnxGraphBuilder.MinOpset} to {OnnxGraphBuilder.MaxOpset} (13 is the default, 11 the conservative choice)", nameof(Opset));
        if (!Enum.IsDefined(TruncationConvention)) throw new ArgumentException($"GeneratorExportOptions.TruncationConvention is {(int)TruncationConvention}", nameof(TruncationConvention));
        if (!Enum.IsDefined(Statistics)) throw new ArgumentException($"GeneratorExportOptions.Statistics is {(int)Statistics}", nameof(Statistics));
        if (ClassNames is not null && ClassNames.Any(n => n is null)) throw new ArgumentException("GeneratorExportOptions.ClassNames contains null", nameof(ClassNames));
        if (Metadata is not null)
            foreach (var key in Metadata.Keys)
                if (key.StartsWith("biggan.", StringComparison.Ordinal))
                    throw new ArgumentException($"metadata key '{key}' uses the reserved prefix 'biggan.'", nameof(Metadata));
        return this;
    }
}
