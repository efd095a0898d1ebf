using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace BigGan.MLNet;

// Built-in output shapes of GenerateBigGanImages: 1 or 3 channels at BigGAN's resolutions. Each shape is a pixel row
// class (its vector size is an attribute) and a factory with a contract name, so a pipeline using it can be saved and
// loaded. Other shapes: declare the pair yourself, as below, and pass the factory to GenerateBigGanImages.

/// <summary>The built-in output shapes of GenerateBigGanImages and their factories.</summary>
public static class BigGanImageShapes
{
    /// <summary>(channels, resolution) of every built-in shape.</summary>
    public static IReadOnlyList<(int Channels, int Resolution)> BuiltIn { get; } =
    [
        (1, 32),
        (1, 64),
        (1, 128),
        (1, 256),
        (1, 512),
        (3, 32),
        (3, 64),
        (3, 128),
        (3, 256),
        (3, 512)
    ];

    internal static IBigGanImagesFactory? Find(int channels, int resolution) => (channels, resolution) switch
    {
        (1, 32) => new BigGanImagesFactory1x32x32(),
        (1, 64) => new BigGanImagesFactory1x64x64(),
        (1, 128) => new BigGanImagesFactory1x128x128(),
        (1, 256) => new BigGanImagesFactory1x256x256(),
        (1, 512) => new BigGanImagesFactory1x512x512(),
        (3, 32) => new BigGanImagesFactory3x32x32(),
        (3, 64) => new BigGanImagesFactory3x64x64(),
        (3, 128) => new BigGanImagesFactory3x128x128(),
        (3, 256) => new BigGanImagesFactory3x256x256(),
        (3, 512) => new BigGanImagesFactory3x512x512(),
        _ => null,
    };
}

/// <summary>Output row of shape 1×32×32.</summary>
public sealed class BigGanPixels1x32x32 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 32, 32)]
    public float[] Pixels = new float[1 * 32 * 32];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 32;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 1×32×32.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.1x32x32")]
public sealed class BigGanImagesFactory1x32x32 : BigGanImagesFactory<BigGanPixels1x32x32>;

/// <summary>Output row of shape 1×64×64.</summary>
public sealed class BigGanPixels1x64x64 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 64, 64)]
    public float[] Pixels = new float[1 * 64 * 64];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 64;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 1×64×64.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.1x64x64")]
public sealed class BigGanImagesFactory1x64x64 : BigGanImagesFactory<BigGanPixels1x64x64>;

/// <summary>Output row of shape 1×128×128.</summary>
public sealed class BigGanPixels1x128x128 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 128, 128)]
    public float[] Pixels = new float[1 * 128 * 128];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 128;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 1×128×128.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.1x128x128")]
public sealed class BigGanImagesFactory1x128x128 : BigGanImagesFactory<BigGanPixels1x128x128>;

/// <summary>Output row of shape 1×256×256.</summary>
public sealed class BigGanPixels1x256x256 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 256, 256)]
    public float[] Pixels = new float[1 * 256 * 256];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 256;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 1×256×256.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.1x256x256")]
public sealed class BigGanImagesFactory1x256x256 : BigGanImagesFactory<BigGanPixels1x256x256>;

/// <summary>Output row of shape 1×512×512.</summary>
public sealed class BigGanPixels1x512x512 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(1, 512, 512)]
    public float[] Pixels = new float[1 * 512 * 512];

    int IBigGanPixels.Channels => 1;

    int IBigGanPixels.Resolution => 512;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 1×512×512.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.1x512x512")]
public sealed class BigGanImagesFactory1x512x512 : BigGanImagesFactory<BigGanPixels1x512x512>;

/// <summary>Output row of shape 3×32×32.</summary>
public sealed class BigGanPixels3x32x32 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 32, 32)]
    public float[] Pixels = new float[3 * 32 * 32];

    int IBigGanPixels.Channels => 3;

    int IBigGanPixels.Resolution => 32;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 3×32×32.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.3x32x32")]
public sealed class BigGanImagesFactory3x32x32 : BigGanImagesFactory<BigGanPixels3x32x32>;

/// <summary>Output row of shape 3×64×64.</summary>
public sealed class BigGanPixels3x64x64 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 64, 64)]
    public float[] Pixels = new float[3 * 64 * 64];

    int IBigGanPixels.Channels => 3;

    int IBigGanPixels.Resolution => 64;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 3×64×64.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.3x64x64")]
public sealed class BigGanImagesFactory3x64x64 : BigGanImagesFactory<BigGanPixels3x64x64>;

/// <summary>Output row of shape 3×128×128.</summary>
public sealed class BigGanPixels3x128x128 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 128, 128)]
    public float[] Pixels = new float[3 * 128 * 128];

    int IBigGanPixels.Channels => 3;

    int IBigGanPixels.Resolution => 128;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 3×128×128.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.3x128x128")]
public sealed class BigGanImagesFactory3x128x128 : BigGanImagesFactory<BigGanPixels3x128x128>;

/// <summary>Output row of shape 3×256×256.</summary>
public sealed class BigGanPixels3x256x256 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 256, 256)]
    public float[] Pixels = new float[3 * 256 * 256];

    int IBigGanPixels.Channels => 3;

    int IBigGanPixels.Resolution => 256;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 3×256×256.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.3x256x256")]
public sealed class BigGanImagesFactory3x256x256 : BigGanImagesFactory<BigGanPixels3x256x256>;

/// <summary>Output row of shape 3×512×512.</summary>
public sealed class BigGanPixels3x512x512 : IBigGanPixels
{
    [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 512, 512)]
    public float[] Pixels = new float[3 * 512 * 512];

    int IBigGanPixels.Channels => 3;

    int IBigGanPixels.Resolution => 512;

    float[] IBigGanPixels.Values => Pixels;
}

/// <summary>Saveable mapping factory for shape 3×512×512.</summary>
[CustomMappingFactoryAttribute("BigGan.GenerateImages.3x512x512")]
public sealed class BigGanImagesFactory3x512x512 : BigGanImagesFactory<BigGanPixels3x512x512>;
