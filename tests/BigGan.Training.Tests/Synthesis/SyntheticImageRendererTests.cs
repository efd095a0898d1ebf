using BigGan.Training.Synthesis;

namespace BigGan.Training.Tests.Synthesis;

[TestClass]
public sealed class SyntheticImageRendererTests
{
    private static readonly ulong[] Seeds = [11, 22, 33, 44, 55, 66, 77, 88, 99, 1010, 1111];
    private static readonly int[] Classes = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0];

    private static float[] Render(SyntheticImageRenderer r, ulong[] seeds, int[] classes)
    {
        var pixels = new float[seeds.Length * r.PixelsPerImage];
        r.Render(seeds, classes, pixels);
        return pixels;
    }

    [TestMethod]
    public void Pixels_DoNotDependOnBatchSizeOrBatchComposition()
    {
        var g = new PatternImageGenerator(numClasses: 5, channels: 3, resolution: 6, dimZ: 7);
        var reference = Render(new SyntheticImageRenderer(g, new SyntheticImageOptions { BatchSize = 1 }), Seeds, Classes);
        foreach (int batch in new[] { 2, 4, 11, 64 })
            CollectionAssert.AreEqual(reference, Render(new SyntheticImageRenderer(g, new SyntheticImageOptions { BatchSize = batch }), Seeds, Classes), $"batch {batch}");

        // Row 5 alone equals row 5 of the batch.
        var r = new SyntheticImageRenderer(g);
        var alone = r.Render(Seeds[5], Classes[5]);
        CollectionAssert.AreEqual(reference.AsSpan(5 * r.PixelsPerImage, r.PixelsPerImage).ToArray(), alone);
    }

    [TestMethod]
    public void Pixels_AreCHWIn0To255AndDifferBySeedAndClass()
    {
        var g = new PatternImageGenerator(numClasses: 5, channels: 1, resolution: 10, dimZ: 8);
        var r = new SyntheticImageRenderer(g);
        Assert.AreEqual(100, r.PixelsPerImage);
        var p = Render(r, Seeds, Classes);
        Assert.IsTrue(p.All(v => v >= 0 && v <= 255));
        CollectionAssert.AreNotEqual(r.Render(1, 2), r.Render(2, 2));
        CollectionAssert.AreNotEqual(r.Render(1, 2), r.Render(1, 3));
        // Class 2's band is rows 4..5 of 10: brighter than the rest of the image.
        var img = r.Render(5, 2);
        Assert.IsTrue(img[4 * 10 + 3] > img[0 * 10 + 3] + 100, $"band {img[43]} vs background {img[3]}");
    }

    [TestMethod]
    public void Grayscale_IsReplicatedToThreeEqualPlanes()
    {
        var g = new PatternImageGenerator(numClasses: 3, channels: 1, resolution: 4, dimZ: 5);
        var gray = new SyntheticImageRenderer(g);
        var rgb = new SyntheticImageRenderer(g, new SyntheticImageOptions { ReplicateGrayscaleToRgb = true });
        Assert.AreEqual(1, gray.OutputChannels);
        Assert.AreEqual(3, rgb.OutputChannels);
        Assert.AreEqual(48, rgb.PixelsPerImage);
        var one = Render(gray, Seeds[..3], Classes[..3]);
        var three = Render(rgb, Seeds[..3], Classes[..3]);
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 3; c++)
                CollectionAssert.AreEqual(one.AsSpan(i * 16, 16).ToArray(), three.AsSpan(i * 48 + c * 16, 16).ToArray(), $"row {i} plane {c}");

        // An RGB generator is left alone by the option.
        var colour = new SyntheticImageRenderer(new PatternImageGenerator(3, channels: 3, resolution: 4), new SyntheticImageOptions { ReplicateGrayscaleToRgb = true });
        Assert.AreEqual(3, colour.OutputChannels);
    }

    [TestMethod]
    public void Latents_AreReturnedAndMatchSampleLatents()
    {
        var g = new PatternImageGenerator(numClasses: 5, channels: 1, resolution: 4, dimZ: 6);
        var r = new SyntheticImageRenderer(g, new SyntheticImageOptions { Truncation = 0.5f, BatchSize = 3 });
        var pixels = new float[Seeds.Length * r.PixelsPerImage];
        var latents = new float[Seeds.Length * r.DimZ];
        r.Render(Seeds, Classes, pixels, latents);
        var direct = new float[latents.Length];
        r.SampleLatents(Seeds, direct);
        CollectionAssert.AreEqual(direct, latents);
        Assert.IsTrue(latents.All(z => Math.Abs(z) <= 0.5f), "truncation 0.5 bounds every component");
        CollectionAssert.AreEqual(Render(r, Seeds, Classes), pixels);
    }

    [TestMethod]
    public void Rounding_GivesIntegers()
    {
        var r = new SyntheticImageRenderer(new PatternImageGenerator(3, 1, 4, 5), new SyntheticImageOptions { RoundToIntegers = true });
        Assert.IsTrue(Render(r, Seeds, Classes.Select(c => c % 3).ToArray()).All(v => v == MathF.Round(v)));
    }

    [TestMethod]
    public void BadInput_GetsClearErrors()
    {
        var r = new SyntheticImageRenderer(new PatternImageGenerator(3, 1, 4, 5));
        var cls = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => r.Render(1, 3));
        StringAssert.Contains(cls.Message, "expected 0..2");
        var size = Assert.ThrowsExactly<ArgumentException>(() => r.Render([1, 2], [0, 1], new float[16]));
        StringAssert.Contains(size.Message, "'pixels' has 16 elements, expected 32");
        Assert.ThrowsExactly<ArgumentException>(() => r.Render([1, 2], [0], new float[32]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticImageRenderer(new PatternImageGenerator(), new SyntheticImageOptions { Truncation = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticImageRenderer(new PatternImageGenerator(), new SyntheticImageOptions { BatchSize = 0 }));
        var names = Assert.ThrowsExactly<ArgumentException>(() => new SyntheticImageRenderer(new BrokenGenerator(names: ["a"])));
        StringAssert.Contains(names.Message, "1 class names for 2 classes");
        var nan = Assert.ThrowsExactly<InvalidOperationException>(() => new SyntheticImageRenderer(new BrokenGenerator(value: float.NaN)).Render(5, 0));
        StringAssert.Contains(nan.Message, "seed 5");
    }

    /// <summary>A generator that breaks the contract in a chosen way.</summary>
    private sealed class BrokenGenerator(string[]? names = null, float value = 0f) : IConditionalImageGenerator
    {
        public int NumClasses => 2;
        public int Channels => 1;
        public int Resolution => 2;
        public int DimZ => 1;
        public IReadOnlyList<string> ClassNames => names ?? ["a", "b"];
        public void SampleLatents(ReadOnlySpan<ulong> seeds, float truncation, Span<float> latents) => latents.Clear();
        public void Generate(ReadOnlySpan<float> latents, ReadOnlySpan<int> classes, Span<float> images) => images.Fill(value);
    }
}
