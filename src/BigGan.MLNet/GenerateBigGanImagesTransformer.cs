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
        _perRow.GetOutputSchema(inputSchema); // the per-row chain's checks: the same columns must be there
        return BatchedImagesDataView.OutputSchema(inputSchema, _mapper, OutputColumnName);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _perRow.GetRowToRowMapper(inputSchema);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new BatchedImagesDataView(input, _mapper, LabelColumnName, SeedColumnName, OutputColumnName);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => _perRow.Save(ctx);
}
