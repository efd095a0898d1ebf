namespace BigGan.MLNet;

/// <summary>Column names of the rows <see cref="BigGanDataCatalog.LoadFromBigGan"/> produces.</summary>
public static class BigGanColumns
{
    /// <summary>UInt64: the row's position in the generated set.</summary>
    public const string RowId = "RowId";

    /// <summary>Key&lt;UInt32, NumClasses&gt;, 1-based (class c is key c + 1), with the class names as KeyValues.</summary>
    public const string Label = "Label";

    /// <summary>Int64: the 0-based class index.</summary>
    public const string ClassIndex = "ClassIndex";

    /// <summary>UInt64: the seed of the row's latent.</summary>
    public const string Seed = "Seed";

    /// <summary>Vector&lt;Single, NumClasses&gt;: the class as one-hot floats (an ONNX generator's class input).</summary>
    public const string ClassOneHot = "ClassOneHot";

    /// <summary>Vector&lt;Single, DimZ&gt;: the latent z (an ONNX generator's z input).</summary>
    public const string Latent = "Latent";

    /// <summary>Vector&lt;Single, C, H, W&gt;: the image, CHW, RGB plane order, values in [0, 255]. ImageAnalytics'
    /// <c>ConvertToImage(H, W, "Image", "Pixels")</c> reads it with its defaults as an MLImage when C is 3; a grayscale
    /// generator gets three equal planes with <c>ReplicateGrayscaleToRgb</c> (and exact bytes with <c>RoundToIntegers</c>).</summary>
    public const string Pixels = "Pixels";
}
