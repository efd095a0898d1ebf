using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet;

/// <summary>
/// The fitted GenerateBigGanImages. <see cref="Transform"/> generates in batches (<see cref="BatchedImagesDataView"/>);
/// saving writes the per-row chain of ML.NET's own saveable transforms (the custom mapping by contract name), since a
/// zip can only hold transformers ML.NET knows how to load. A loaded model therefore generates one row at a time, and
/// so does a PredictionEngine, which maps single rows anyway.
/// </summary>
public sealed class GenerateBigGanImagesTransformer : ITransformer
{
    private readonly ITransformer _perRow;
    private readonly LabelKeyImageMapper _mapper;

    internal GenerateBigGanImagesTransformer(ITransformer perRow, LabelKeyImageMapper mapper, string outputColumnName, string labelColumnName, string? seedColumnName)
    {
        _perRow = perRow;
        _mapper = mapper;
        OutputColumnName = outputColumnName;
        LabelColumnName = labelColumnName;
        SeedColumnName = seedColumnName;
    }

    public string OutputColumnName { get; }

    public string LabelColumnName { get; }

    public string? SeedColumnName { get; }

    /// <summary>The row-at-a-time chain this transformer saves as.</summary>
    public ITransformer PerRow => _perRow;

    public bool IsRowToRowMapper => _perRow.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Require(inputSchema, LabelColumnName, "label", "Key<UInt32>");
        if (SeedColumnName is not null) Require(inputSchema, SeedColumnName, "seed", "UInt64");
        _perRow.GetOutputSchema(inputSchema); // the per-row chain's type checks
        return BatchedImagesDataView.OutputSchema(inputSchema, _mapper, OutputColumnName);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _perRow.GetRowToRowMapper(inputSchema);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new BatchedImagesDataView(input, _mapper, LabelColumnName, SeedColumnName, OutputColumnName);
    }

    // Real images do not go through this stage: a user who scores them needs the stages after it as a model of their own.
    private static void Require(DataViewSchema schema, string name, string role, string type)
    {
        if (schema.GetColumnOrNull(name) is null)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"GenerateBigGanImages: {role} column '{name}' not found; expected a {type} column. Rows that already carry images (real data) " +
                "skip this stage: fit the stages after GenerateBigGanImages as a model of their own on its output, save that one, and score real rows with it.");
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => _perRow.Save(ctx);
}
