using BigGan.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FashionMnistAugmentation;

/// <summary>Real Fashion-MNIST images as an ML.NET data view with the columns of a BigGAN source: Label and Pixels.</summary>
public static class RealImages
{
    public sealed class Row
    {
        /// <summary>0-based class; the schema makes it a Key&lt;UInt32, 10&gt; (LoadFromEnumerable stores v as key v + 1).</summary>
        public uint Label { get; set; }

        public float[] Pixels { get; set; } = [];
    }

    /// <summary>
    /// <paramref name="perClass"/> images of every class (all when null), picked by a seeded shuffle, as CHW floats in
    /// [0, 255] of <paramref name="channels"/> × <paramref name="resolution"/>² (28×28 is padded to 32×32).
    /// </summary>
    public static IDataView Load(MLContext ml, IImageDataset data, int? perClass, int seed)
    {
        int pixelsPerImage = data.Channels * data.Resolution * data.Resolution;
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        var taken = new int[data.NumClasses];
        var rows = new List<Row>();
        var buffer = new byte[pixelsPerImage];
        foreach (int i in order)
        {
            int label = data.GetLabel(i);
            if (perClass is int n && taken[label] >= n) continue;
            taken[label]++;
            data.Read(i, buffer);
            rows.Add(new Row { Label = (uint)label, Pixels = buffer.Select(b => (float)b).ToArray() });
        }

        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Label"].ColumnType = new KeyDataViewType(typeof(uint), data.NumClasses);
        var names = new VBuffer<ReadOnlyMemory<char>>(data.NumClasses, data.ClassNames.Select(c => c.AsMemory()).ToArray());
        schema["Label"].AddAnnotation("KeyValues", names, new VectorDataViewType(TextDataViewType.Instance, data.NumClasses));
        schema["Pixels"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Channels, data.Resolution, data.Resolution);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
