using BigGan.Training.Tests.Support;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class DiffAugmentTests
{
    private const long N = 16, H = 16, W = 16;

    // Distinct positive pixel values, so that a zero in the output can only come from padding or the cutout.
    private static Tensor Images(long channels = 1, ScalarType dtype = ScalarType.Float32) =>
        arange(N * channels * H * W, dtype: dtype).view(N, channels, H, W).div(N * channels * H * W).add(0.1);

    private static Tensor Augment(Tensor x, DiffAugmentPolicy policy, ulong seed = 7, int shard = 0, int shards = 1)
    {
        using var g = new torch.Generator(seed);
        return DiffAugment.Apply(x, policy, g, shard, shards);
    }

    [TestMethod]
    public void ParseReadsAnySubsetAndFormatWritesItBack()
    {
        Assert.AreEqual(DiffAugmentPolicy.None, DiffAugment.Parse("none"));
        Assert.AreEqual(DiffAugmentPolicy.None, DiffAugment.Parse(""));
        var all = DiffAugment.Parse("cutout, Color,translation");
        Assert.AreEqual(DiffAugmentPolicy.Color | DiffAugmentPolicy.Translation | DiffAugmentPolicy.Cutout, all);
        Assert.AreEqual("color,translation,cutout", DiffAugment.Format(all));
        Assert.AreEqual(DiffAugmentPolicy.Translation, DiffAugment.Parse(DiffAugment.Format(DiffAugmentPolicy.Translation)));
        var e = Assert.ThrowsExactly<ArgumentException>(() => DiffAugment.Parse("color,flip"));
        StringAssert.Contains(e.Message, "\"flip\"");
    }

    [TestMethod]
    public void TranslationShiftsEachImageByAtMostAnEighthWithZerosFillingIn()
    {
        using var scope = NewDisposeScope();
        var x = Images();
        var y = Augment(x, DiffAugmentPolicy.Translation);
        var shiftsSeen = new HashSet<(int, int)>();
        for (int i = 0; i < N; i++)
        {
            var found = FindShift(x[i, 0].ToArray<float>(), y[i, 0].ToArray<float>());
            Assert.IsNotNull(found, $"image {i} is not a shift of its input by at most 2 pixels");
            shiftsSeen.Add(found.Value);
        }
        Assert.IsTrue(shiftsSeen.Count > 3, $"16 images drew only {shiftsSeen.Count} distinct shifts");
    }

    // The (dy, dx) in [-2, 2]² with out[r, c] = in[r + dy, c + dx] (zero outside), or null.
    private static (int, int)? FindShift(float[] input, float[] output)
    {
        for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++)
            {
                bool match = true;
                for (int r = 0; r < H && match; r++)
                    for (int c = 0; c < W && match; c++)
                    {
                        int rr = r + dy, cc = c + dx;
                        var expected = rr >= 0 && rr < H && cc >= 0 && cc < W ? input[rr * W + cc] : 0f;
                        match = output[r * W + c] == expected;
                    }
                if (match) return (dy, dx);
            }
        return null;
    }

    [TestMethod]
    public void CutoutZeroesOneClippedHalfSizeSquarePerImageAndKeepsTheRest()
    {
        using var scope = NewDisposeScope();
        var x = Images(channels: 3);
        var y = Augment(x, DiffAugmentPolicy.Cutout);
        for (int i = 0; i < N; i++)
        {
            var input = x[i].ToArray<float>();
            var output = y[i].ToArray<float>();
            int top = int.MaxValue, bottom = -1, left = int.MaxValue, right = -1, zeros = 0;
            for (int ch = 0; ch < 3; ch++)
                for (int r = 0; r < H; r++)
                    for (int c = 0; c < W; c++)
                    {
                        int k = (ch * (int)H + r) * (int)W + c;
                        if (output[k] == 0) { zeros++; top = Math.Min(top, r); bottom = Math.Max(bottom, r); left = Math.Min(left, c); right = Math.Max(right, c); }
                        else Assert.AreEqual(input[k], output[k], $"image {i}: a pixel outside the cutout changed");
                    }
            int height = bottom - top + 1, width = right - left + 1;
            Assert.IsTrue(zeros > 0, $"image {i} has no cutout");
            Assert.AreEqual(3 * height * width, zeros, $"image {i}: the zeroed pixels are not one rectangle in every channel");
            Assert.IsTrue(height <= 8 && width <= 8, $"image {i}: a {height}×{width} cutout is larger than half the image");
            // A square of side 8 unless the image border clips it.
            Assert.IsTrue(height == 8 || top == 0 || bottom == H - 1, $"image {i}: height {height} without touching a border");
            Assert.IsTrue(width == 8 || left == 0 || right == W - 1, $"image {i}: width {width} without touching a border");
        }
    }

    [TestMethod]
    public void ColorOnGrayImagesIsAPerImageAffineMapWithContrastInItsRange()
    {
        using var scope = NewDisposeScope();
        var x = Images(dtype: ScalarType.Float64);
        var y = Augment(x, DiffAugmentPolicy.Color);
        for (int i = 0; i < N; i++)
        {
            // One channel: saturation is the identity; brightness then contrast give y = a·x + b with a in [0.5, 1.5].
            var xi = x[i].reshape(-1).ToArray<double>();
            var yi = y[i].reshape(-1).ToArray<double>();
            double a = (yi[^1] - yi[0]) / (xi[^1] - xi[0]), b = yi[0] - a * xi[0];
            Assert.IsTrue(a >= 0.5 && a <= 1.5, $"image {i}: contrast factor {a}");
            for (int k = 0; k < xi.Length; k++) Assert.AreEqual(a * xi[k] + b, yi[k], 1e-9, $"image {i} pixel {k}");
        }
    }

    [TestMethod]
    public void EveryPolicyIsDifferentiable()
    {
        using var scope = NewDisposeScope();
        var x = Images(channels: 3, dtype: ScalarType.Float64).narrow(0, 0, 2).narrow(2, 0, 8).narrow(3, 0, 8).contiguous().requires_grad_();
        var all = DiffAugmentPolicy.Color | DiffAugmentPolicy.Translation | DiffAugmentPolicy.Cutout;
        // The same parameters on every call (a fresh generator of one seed), so finite differences see one function.
        var worst = GradCheck.Run(inputs => Augment(inputs[0], all, seed: 3), [x]);
        Assert.IsTrue(worst < 1e-5, $"largest gradient error {worst}");
    }

    [TestMethod]
    public void ShardsOfABatchTogetherDrawWhatOneProcessDrawsForTheWholeBatch()
    {
        using var scope = NewDisposeScope();
        var x = Images(channels: 3);
        var all = DiffAugmentPolicy.Color | DiffAugmentPolicy.Translation | DiffAugmentPolicy.Cutout;
        var whole = Augment(x, all);
        // Rows r, r + 2, r + 4, … of the global batch on rank r, as DataParallel.Shard lays them out.
        for (int r = 0; r < 2; r++)
        {
            var shard = Augment(x.slice(0, r, N, 2), all, shard: r, shards: 2);
            Assert.AreEqual(0.0, whole.slice(0, r, N, 2).sub(shard).abs().max().ToDouble(), 1e-6, $"shard {r}");
        }
        Assert.IsTrue(Augment(x, all, seed: 8).sub(whole).abs().max().ToDouble() > 0.1, "another seed gave the same augmentation");
    }

    [TestMethod]
    public void NoPolicyReturnsTheImagesUnchanged()
    {
        using var scope = NewDisposeScope();
        var x = Images();
        Assert.AreSame(x, Augment(x, DiffAugmentPolicy.None));
    }
}
