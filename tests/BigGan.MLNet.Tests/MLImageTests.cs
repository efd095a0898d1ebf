using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace BigGan.MLNet.Tests;

/// <summary>
/// Generated images as ML.NET images: the Pixels column (CHW, RGB planes, [0, 255]) is what ImageAnalytics'
/// ConvertToImage reads with its defaults; a grayscale generator is replicated to RGB with ReplicateGrayscaleToRgb.
/// </summary>
[TestClass]
public sealed class MLImageTests
{
    private static readonly PatternImageGenerator Gray = new(numClasses: 10, channels: 1, resolution: 32, dimZ: 8);

    // Integers, so that the byte image holds the values exactly; grayscale as three equal planes.
    private static readonly SyntheticImageOptions AsImage = new() { ReplicateGrayscaleToRgb = true, RoundToIntegers = true };

    [TestCleanup]
    public void Cleanup() => BigGanGeneratorRegistry.Clear();

    [TestMethod]
    public void LoadFromBigGan_PixelsRoundTripThroughMLImage()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromBigGan(Gray, 5, new BigGanDataOptions { ReplicateGrayscaleToRgb = true, RoundToIntegers = true });
        var output = ml.Transforms.ConvertToImage(32, 32, "Image", BigGanColumns.Pixels)
            .Append(ml.Transforms.ResizeImages("Image", 32, 32))
            .Append(ml.Transforms.ExtractPixels("Back", "Image"))
            .Fit(rows).Transform(rows);
        var type = output.Schema["Image"].Type as ImageDataViewType ?? throw new AssertFailedException("an MLImage column");
        Assert.AreEqual((32, 32), (type.Height, type.Width));
        CollectionAssert.AreEqual(Rows.Vectors(rows, BigGanColumns.Pixels), Rows.Vectors(output, "Back"), new ArrayComparer());
    }

    [TestMethod]
    public void GenerateBigGanImages_ToMLImage_SavesAndLoads()
    {
        var ml = new MLContext(seed: 1);
        var requests = ml.Data.LoadFromBigGan(Gray, 4, new BigGanDataOptions { BaseSeed = 3, IncludePixels = false });
        var model = ml.Transforms.GenerateBigGanImages(Gray, options: AsImage)
            .Append(ml.Transforms.ConvertToImage(32, 32, "Image", BigGanColumns.Pixels))
            .Append(ml.Transforms.ResizeImages("Small", 16, 16, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Small"))
            .Fit(requests);
        var before = Rows.Vectors(model.Transform(requests), "Features");
        using var zip = new MemoryStream();
        ml.Model.Save(model, requests.Schema, zip);
        zip.Position = 0;
        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        var output = loaded.Transform(requests);
        Assert.IsInstanceOfType<ImageDataViewType>(output.Schema["Small"].Type);
        Assert.AreEqual(3 * 16 * 16, before[0].Length);
        CollectionAssert.AreEqual(before, Rows.Vectors(output, "Features"), new ArrayComparer());
        // Gray in, gray out: the three planes of a replicated image are equal.
        CollectionAssert.AreEqual(before[0][..256], before[0][256..512]);
    }

    private sealed class ArrayComparer : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => ((float[])x!).SequenceEqual((float[])y!) ? 0 : 1;
    }
}
