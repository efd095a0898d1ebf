using BigGan.Training.Import;
using BigGan.Training.Sampling;
using BigGan.Training.Synthesis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Tests;

/// <summary>
/// Published-format generators in an ML.NET pipeline: a BigGAN-PyTorch file imported into a run folder (1,000 ImageNet
/// classes) and a Hugging Face BigGAN loaded directly, both as LoadFromBigGan sources. The fixtures come from the
/// reference implementations (BigGan.Training.Tests' BigGanPyTorchImportTests and HuggingFaceBigGanTests).
/// </summary>
[TestClass]
public sealed class PretrainedGeneratorTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    [TestMethod]
    public void AnImportedImageNetRunFeedsAnMLNetPipelineWithImageNetLabels()
    {
        var dir = Directory.CreateTempSubdirectory("biggan-mlnet-import-").FullName;
        try
        {
            var run = PretrainedImport.ImportRun(Path.Combine(Fixtures, "bgpt32_imagenet_zip.pth"), PretrainedFormat.BigGanPyTorch, Path.Combine(dir, "run"));
            using var sampler = BigGanSampler.Load(run.RunDir);
            var golden = sampler.ClassIndex("golden retriever");
            var options = new BigGanDataOptions { BaseSeed = 5, BatchSize = 2, Classes = ClassSchedule.Fixed(golden) };
            var view = new MLContext(seed: 1).Data.LoadFromBigGan(sampler, 3, options);

            VBuffer<ReadOnlyMemory<char>> keys = default;
            view.Schema[BigGanColumns.Label].GetKeyValues(ref keys);
            Assert.AreEqual(1000, keys.Length);
            Assert.AreEqual("golden retriever", keys.GetValues()[golden].ToString());
            CollectionAssert.AreEqual(new[] { 3, 32, 32 }, ((VectorDataViewType)view.Schema[BigGanColumns.Pixels].Type).Dimensions.ToArray());

            var rows = Rows.ReadAll(view);
            var set = new SyntheticImageSet(sampler, 3, options);
            Assert.AreEqual(3, rows.Count);
            foreach (var row in rows)
            {
                Assert.AreEqual(207L, row.ClassIndex);
                AssertClose(set.Renderer.Render(row.Seed, 207), row.Pixels!);
                Assert.IsTrue(row.Pixels!.Distinct().Count() > 100, "a generated image, not a constant");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void AHuggingFaceBigGanFeedsAnMLNetPipeline()
    {
        using var g = new HuggingFaceSampler(HuggingFaceBigGanWeights.Load(Path.Combine(Fixtures, "hf32_zip.bin"), Path.Combine(Fixtures, "hf32_config.json")), Truncation.TFHub(0.5));
        // The generator's batch-norm statistics are for truncation 0.5, so the latents are drawn with it too.
        var options = new BigGanDataOptions { BaseSeed = 9, BatchSize = 4, IncludeLatent = true, Truncation = 0.5f };
        var rows = Rows.ReadAll(new MLContext(seed: 1).Data.LoadFromBigGan(g, 5, options));
        var set = new SyntheticImageSet(g, 5, options);
        Assert.AreEqual(5, rows.Count);
        foreach (var row in rows)
        {
            AssertClose(set.Renderer.Render(row.Seed, (int)row.ClassIndex), row.Pixels!);
            Assert.IsTrue(row.Latent!.All(v => Math.Abs(v) <= 2 * 0.5 + 1e-6), "TF-Hub latents: truncation × a normal truncated at ±2");
        }
        Assert.ThrowsExactly<ArgumentException>(() => ((IConditionalImageGenerator)g).SampleLatents([1UL], 0.9f, new float[g.DimZ]));
    }

    [TestMethod]
    public void AnImportedHuggingFaceRunFolderFeedsAnMLNetPipeline()
    {
        var dir = Directory.CreateTempSubdirectory("biggan-mlnet-hf-run-").FullName;
        try
        {
            var run = HuggingFaceRun.Import(Path.Combine(Fixtures, "hf32_zip.bin"), Path.Combine(Fixtures, "hf32_config.json"), Path.Combine(dir, "run")).RunDir;
            // opened like any run folder (the ML.NET loaders' way): a BigGAN-deep at tfhub:1, whose latents the
            // default truncation 1 of the data options draws
            var g = GeneratorRunLoader.Load(run);
            try
            {
                Assert.IsInstanceOfType<HuggingFaceSampler>(g);
                var options = new BigGanDataOptions { BaseSeed = 2, BatchSize = 3, IncludeLatent = true };
                var rows = Rows.ReadAll(new MLContext(seed: 1).Data.LoadFromBigGan(g, 4, options));
                var set = new SyntheticImageSet(g, 4, options);
                Assert.AreEqual(4, rows.Count);
                foreach (var row in rows)
                {
                    AssertClose(set.Renderer.Render(row.Seed, (int)row.ClassIndex), row.Pixels!);
                    Assert.IsTrue(row.Latent!.All(v => Math.Abs(v) <= 2 + 1e-6), "TF-Hub latents at truncation 1: a normal truncated at ±2");
                }
                Assert.ThrowsExactly<ArgumentException>(() => g.SampleLatents([1UL], 0.5f, new float[g.DimZ]));
            }
            finally
            {
                (g as IDisposable)?.Dispose();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Pixels in [0, 255] from a batch of rows against the same rows rendered one at a time: equal up to the float
    // rounding of libtorch's batched convolutions.
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(worst <= 1e-3, $"largest pixel difference {worst}");
    }
}
