using System.Reflection;
using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace BigGan.MLNet;

/// <summary>What GenerateBigGanImages needs of a factory, whatever its pixel row type.</summary>
internal interface IBigGanImagesFactory
{
    string ContractName { get; }

    int Channels { get; }

    int Resolution { get; }

    IEstimator<ITransformer> CreateMapping(TransformsCatalog catalog, LabelKeyImageMapper mapper);
}

/// <summary>
/// The saveable custom mapping behind GenerateBigGanImages for one output shape. ML.NET saves only the contract name of
/// the <c>[CustomMappingFactoryAttribute]</c> on the derived class; on load it creates the factory and calls
/// <see cref="GetMapping"/>, which finds the generator in <see cref="BigGanGeneratorRegistry"/> (or through the
/// <see cref="GeneratorRunLoader.EnvironmentVariable"/> run folder). The weights are never inside the model zip.
/// </summary>
/// <remarks>
/// A shape that is not built in (<see cref="BigGanImageShapes"/>) takes a pixel row class and a factory:
/// <code>
/// public sealed class Pixels3x48 : IBigGanPixels
/// {
///     [ColumnName(IBigGanPixels.ColumnName), VectorType(3, 48, 48)] public float[] Pixels = new float[3 * 48 * 48];
///     int IBigGanPixels.Channels => 3; int IBigGanPixels.Resolution => 48; float[] IBigGanPixels.Values => Pixels;
/// }
/// [CustomMappingFactoryAttribute("MyApp.BigGan.3x48x48")] public sealed class Pixels3x48Factory : BigGanImagesFactory&lt;Pixels3x48&gt;;
/// </code>
/// then <c>GenerateBigGanImages(generator, new Pixels3x48Factory(), ...)</c>; before loading a saved model call
/// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(Pixels3x48Factory).Assembly)</c>, since the model names only
/// BigGan.MLNet's assembly.
/// </remarks>
public abstract class BigGanImagesFactory<TPixels> : CustomMappingFactory<BigGanRequestRow, TPixels>, IBigGanImagesFactory
    where TPixels : class, IBigGanPixels, new()
{
    protected BigGanImagesFactory()
    {
        var shape = new TPixels();
        Channels = shape.Channels;
        Resolution = shape.Resolution;
        if (shape.Values is null || shape.Values.Length != Channels * Resolution * Resolution)
            throw new InvalidOperationException($"{typeof(TPixels).Name} must start with a pixel buffer of {Channels}×{Resolution}×{Resolution} floats.");
        ContractName = GetType().GetCustomAttribute<CustomMappingFactoryAttributeAttribute>()?.ContractName
            ?? throw new InvalidOperationException($"{GetType().Name} needs a [CustomMappingFactoryAttribute(\"contract name\")] so that ML.NET can save and load it.");
    }

    public string ContractName { get; }

    public int Channels { get; }

    public int Resolution { get; }

    /// <summary>Called by ML.NET when it loads a model: the mapping over the registered generator of this shape.</summary>
    public override Action<BigGanRequestRow, TPixels> GetMapping()
        => CreateAction(BigGanGeneratorRegistry.Resolve(Channels, Resolution, ContractName));

    IEstimator<ITransformer> IBigGanImagesFactory.CreateMapping(TransformsCatalog catalog, LabelKeyImageMapper mapper)
        => catalog.CustomMapping(CreateAction(mapper), ContractName);

    // The same action in-process and after loading; ML.NET records the assembly declaring it (BigGan.MLNet) in the zip.
    private static Action<BigGanRequestRow, TPixels> CreateAction(LabelKeyImageMapper mapper)
        => (request, pixels) => mapper.Map(request.Label, request.Seed, pixels.Values);
}
