namespace BigGan.MLNet;

/// <summary>
/// The output row of a GenerateBigGanImages custom mapping. ML.NET reads vector sizes from attributes, so each output
/// shape is its own class (<see cref="BigGanImageShapes"/> lists the built-in ones); implement the members explicitly so
/// they do not become columns. See <see cref="BigGanImagesFactory{TPixels}"/> for declaring a new shape.
/// </summary>
public interface IBigGanPixels
{
    /// <summary>Name of the vector column the mapping writes.</summary>
    const string ColumnName = "__BigGan_Pixels";

    int Channels { get; }

    int Resolution { get; }

    /// <summary>The pixel buffer (Channels × Resolution × Resolution floats) the mapping fills.</summary>
    float[] Values { get; }
}
