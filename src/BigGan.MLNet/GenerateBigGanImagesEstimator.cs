using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// Generates an image per row from a class key column (and a seed column) with a BigGAN generator. It is a chain of
/// ML.NET's public, saveable pieces: copies of the input columns to private names, the shape's custom mapping
/// (<see cref="BigGanImagesFactory{TPixels}"/>), a copy to the output column and a drop of the private columns. This
/// class adds the checks ML.NET cannot make: the label must be a Key&lt;UInt32&gt; within the generator's classes, the
/// seed a UInt64, and an existing output column of another size is refused. Fit returns a
/// <see cref="GenerateBigGanImagesTransformer"/>, which generates in batches and saves as the per-row chain.
/// </summary>
public sealed class GenerateBigGanImagesEstimator : IEstimator<ITransformer>
{
    private readonly IEstimator<ITransformer> _chain;
    private readonly LabelKeyImageMapper _mapper;
    private readonly int _numClasses;

    internal GenerateBigGanImagesEstimator(TransformsCatalog catalog, IBigGanImagesFactory factory, LabelKeyImageMapper mapper,
        string outputColumnName, string labelColumnName, string? seedColumnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        if (seedColumnName is not null) ArgumentException.ThrowIfNullOrWhiteSpace(seedColumnName);
        var r = mapper.Renderer;
        if (r.OutputChannels != factory.Channels || r.Resolution != factory.Resolution)
            throw new ArgumentException(
                $"The generator produces {r.OutputChannels}×{r.Resolution}×{r.Resolution} images but mapping '{factory.ContractName}' holds {factory.Channels}×{factory.Resolution}×{factory.Resolution}.", nameof(factory));
        OutputColumnName = outputColumnName;
        LabelColumnName = labelColumnName;
        SeedColumnName = seedColumnName;
        ContractName = factory.ContractName;
        OutputType = new VectorDataViewType(NumberDataViewType.Single, r.OutputChannels, r.Resolution, r.Resolution);
        _numClasses = r.NumClasses;
        _mapper = mapper;

        // Without a seed column the key itself is the seed: one fixed image per class.
        var chain = catalog.CopyColumns(BigGanRequestRow.LabelColumn, labelColumnName)
            .Append(seedColumnName is null
                ? (IEstimator<ITransformer>)catalog.Conversion.ConvertType(BigGanRequestRow.SeedColumn, labelColumnName, DataKind.UInt64)
                : catalog.CopyColumns(BigGanRequestRow.SeedColumn, seedColumnName))
            .Append(factory.CreateMapping(catalog, mapper))
            .Append(catalog.CopyColumns(outputColumnName, IBigGanPixels.ColumnName))
            .Append(catalog.DropColumns(BigGanRequestRow.LabelColumn, BigGanRequestRow.SeedColumn, IBigGanPixels.ColumnName));
        _chain = chain;
    }

    public string OutputColumnName { get; }

    public string LabelColumnName { get; }

    /// <summary>The seed column, or null when the class key is the seed.</summary>
    public string? SeedColumnName { get; }

    /// <summary>The contract name saved in the model (one per output shape).</summary>
    public string ContractName { get; }

    /// <summary>Vector&lt;Single, C, H, W&gt; of the output column.</summary>
    public VectorDataViewType OutputType { get; }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!TryFind(inputSchema, LabelColumnName, out var label))
            throw MissingColumn("label", LabelColumnName, "Key<UInt32> (1-based class: key k is class k − 1)");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !label.IsKey || label.ItemType.RawType != typeof(uint))
            throw WrongType("label", LabelColumnName, "Key<UInt32> (1-based class; map raw values with MapValueToKey)", Describe(label));
        if (SeedColumnName is not null)
        {
            if (!TryFind(inputSchema, SeedColumnName, out var seed))
                throw MissingColumn("seed", SeedColumnName, "UInt64");
            if (seed.Kind != SchemaShape.Column.VectorKind.Scalar || seed.IsKey || !seed.ItemType.Equals(NumberDataViewType.UInt64))
                throw WrongType("seed", SeedColumnName, "UInt64 (convert with ConvertType(..., DataKind.UInt64))", Describe(seed));
        }
        // An existing output column of another size is refused in Fit: SchemaShape does not carry vector sizes.
        return _chain.GetOutputSchema(inputSchema);
    }

    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var schema = input.Schema;
        var label = schema.GetColumnOrNull(LabelColumnName)
            ?? throw MissingColumn("label", LabelColumnName, "Key<UInt32> (1-based class: key k is class k − 1)");
        if (label.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw WrongType("label", LabelColumnName, "Key<UInt32> (1-based class; map raw values with MapValueToKey)", $"{label.Type}");
        if (key.Count > (ulong)_numClasses)
            throw new ArgumentOutOfRangeException(nameof(input),
                $"Label column '{LabelColumnName}' has {key.Count} key values but the generator has {_numClasses} classes: classes {_numClasses}..{key.Count - 1} cannot be generated.");
        if (SeedColumnName is not null)
        {
            var seed = schema.GetColumnOrNull(SeedColumnName) ?? throw MissingColumn("seed", SeedColumnName, "UInt64");
            if (!seed.Type.Equals(NumberDataViewType.UInt64))
                throw WrongType("seed", SeedColumnName, "UInt64 (convert with ConvertType(..., DataKind.UInt64))", $"{seed.Type}");
        }
        if (schema.GetColumnOrNull(OutputColumnName) is { } existing && existing.Type is VectorDataViewType vec
            && vec.ItemType.Equals(NumberDataViewType.Single) && vec.IsKnownSize && vec.Size != OutputType.Size)
            throw new ArgumentOutOfRangeException(nameof(input),
                $"Output column '{OutputColumnName}' already exists as {vec} ({vec.Size} values) but the generator makes {OutputType} ({OutputType.Size} values): " +
                "stages built for the existing column would get vectors of the wrong size. Choose another output column name or a generator of the same resolution.");
        return new GenerateBigGanImagesTransformer(_chain.Fit(input), _mapper, OutputColumnName, LabelColumnName, SeedColumnName);
    }

    private static string Describe(SchemaShape.Column c) => c.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => $"{c.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
        _ => $"variable-size Vector<{c.ItemType}>",
    };

    private static bool TryFind(SchemaShape schema, string name, out SchemaShape.Column column)
    {
        foreach (var c in schema)
            if (c.Name == name) { column = c; return true; }
        column = default;
        return false;
    }

    private static ArgumentOutOfRangeException MissingColumn(string role, string name, string expected)
        => new("inputSchema", $"GenerateBigGanImages: {role} column '{name}' not found; expected a {expected} column.");

    private static ArgumentOutOfRangeException WrongType(string role, string name, string expected, string actual)
        => new("inputSchema", $"GenerateBigGanImages: {role} column '{name}' is {actual}; expected {expected}.");
}
