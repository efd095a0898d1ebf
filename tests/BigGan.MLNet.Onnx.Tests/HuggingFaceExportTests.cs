using BigGan.Training.Import;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BigGan.MLNet.Onnx.Tests;

/// <summary>
/// An imported Hugging Face BigGAN-deep run exported as <c>biggan export</c> writes it by default (batch 1,
/// class_index int64 [1, 1]) runs in ML.NET's plain ApplyOnnxModel exactly like this project's own exports, and
/// matches the run's sampler at the truncation it was exported for.
/// </summary>
[TestClass]
public sealed class HuggingFaceExportTests
{
    private const float Tolerance = 1e-4f;
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    [TestMethod]
    public void PlainApplyOnnxModel_RunsAnImportedBigGanDeep()
    {
        var dir = Directory.CreateTempSubdirectory("biggan-mlnet-hf-").FullName;
        try
        {
            var run = HuggingFaceRun.Import(Path.Combine(Fixtures, "hf32_zip.bin"), Path.Combine(Fixtures, "hf32_config.json"), Path.Combine(dir, "run")).RunDir;
            using var sampler = RunSamplers.Open(run, new SamplerOptions { Truncation = Truncation.TFHub(0.6) });
            var path = Path.Combine(dir, "hf.onnx");
            sampler.ExportOnnx(path, new GeneratorExportOptions { ClassInput = OnnxClassInput.IndexColumn });

            var ml = new MLContext(seed: 1);
            var rows = ml.Data.LoadFromBigGan(sampler, 4, new BigGanDataOptions { BaseSeed = 3, Truncation = 0.6f, IncludeLatent = true });
            var pipeline = ml.Transforms.CopyColumns("z", BigGanColumns.Latent)
                .Append(ml.Transforms.CopyColumns("class_index", BigGanColumns.ClassIndex))
                .Append(ml.Transforms.ApplyOnnxModel(["image", "pixels"], ["z", "class_index"], path));
            var model = pipeline.Fit(rows);
            var output = model.Transform(rows);
            var image = DataViewColumns.Vectors(output, "image").SelectMany(v => v).ToArray();
            var latents = DataViewColumns.Vectors(output, BigGanColumns.Latent);
            Assert.IsTrue(latents.SelectMany(v => v).All(v => Math.Abs(v) <= 1.2f + 1e-6f), "tfhub:0.6 latents lie in ±1.2");
            var direct = DataViewColumns.Vectors(output, BigGanColumns.Pixels).SelectMany(v => v).Select(p => p / 127.5f - 1).ToArray();
            Assert.AreEqual(direct.Length, image.Length);
            var worst = direct.Zip(image, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsTrue(worst <= Tolerance * 10, $"image against the sampler's pixels: max abs diff {worst}");
            Assert.IsTrue(image.Max() - image.Min() > 0.01f, "the test images are not constant");
            (model as IDisposable)?.Dispose();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
