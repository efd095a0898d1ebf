using System.Text.Json;
using System.Text.Json.Serialization;

namespace BigGan.Training.Evaluation;

/// <summary>Architecture of a <see cref="SmallCnnClassifier"/> (stored in its safetensors metadata).</summary>
/// <param name="Channels">Image channels: 1 (grayscale) or 3 (RGB).</param>
/// <param name="Resolution">Height and width of the (square) input images, at least 8.</param>
/// <param name="NumClasses">Number of classes, at least 2.</param>
/// <param name="Width">Channels of the first convolution stage (the next stages use 2× and 4×).</param>
/// <param name="FeatureDimension">Length of the penultimate feature vector (what FID compares).</param>
public sealed record ClassifierConfig(int Channels, int Resolution, int NumClasses, int Width = 32, int FeatureDimension = 128)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public void Validate()
    {
        if (Channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "classifier input channels must be 1 or 3");
        if (Resolution < 8) throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "classifier input resolution must be at least 8");
        if (NumClasses < 2) throw new ArgumentOutOfRangeException(nameof(NumClasses), NumClasses, "a classifier needs at least 2 classes");
        if (Width < 1) throw new ArgumentOutOfRangeException(nameof(Width), Width, "width must be at least 1");
        if (FeatureDimension < 1) throw new ArgumentOutOfRangeException(nameof(FeatureDimension), FeatureDimension, "feature dimension must be at least 1");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ClassifierConfig FromJson(string json)
    {
        ClassifierConfig? config;
        try { config = JsonSerializer.Deserialize<ClassifierConfig>(json, Json); }
        catch (JsonException e) { throw new InvalidDataException($"invalid classifier config JSON ({e.Message}): {json}"); }
        if (config is null) throw new InvalidDataException($"invalid classifier config JSON: {json}");
        config.Validate();
        return config;
    }

    [JsonIgnore]
    public string Description => $"small-cnn(width {Width}, features {FeatureDimension}, {Channels}x{Resolution}x{Resolution}, {NumClasses} classes)";
}
