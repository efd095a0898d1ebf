using BigGan.Training.Import;
using BigGan.Training.Model;
using BigGan.Training.Tests.IO;

namespace BigGan.Training.Tests.Import;

/// <summary>
/// BigGAN-PyTorch generator weights against the reference implementation's own output. Fixtures/biggan-pytorch was
/// made once with Debian's python3-torch 1.13 running ajbrock/BigGAN-PyTorch's BigGAN.Generator (not included here):
/// bgpt32 = Generator(G_ch=2, dim_z=16, resolution=32, G_attn='16', n_classes=5, shared_dim=8, hier=True, SN_eps=1e-6),
/// bgpt64 = Generator(G_ch=1, dim_z=8, resolution=64, G_attn='8', n_classes=4, shared_dim=6, hier=False, BN_eps=1e-4,
/// SN_eps=1e-6), each with orthogonal init plus random batch-norm statistics, gains, biases and attention gammas, in
/// eval mode; <c>torch.save(G.state_dict(), ...)</c> in the zip and the legacy format, and
/// <c>torch.save({"z": z, "y": y, "image": G(z, G.shared(y))}, "*_expected.pt")</c>.
/// </summary>
[TestClass]
public sealed class BigGanPyTorchImportTests : TempDirTest
{
    internal static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "biggan-pytorch");

    [TestMethod]
    [DataRow("bgpt32", "zip", 1e-5)]
    [DataRow("bgpt32", "legacy", 1e-5)]
    [DataRow("bgpt64", "zip", 1e-4)]
    [DataRow("bgpt64", "legacy", 1e-4)]
    public void TheGeneratorEqualsTheReferenceOutput(string model, string format, double bnEps)
    {
        var path = Path.Combine(Fixtures, $"{model}_{format}.pth");
        var inferred = InferredConfig(path);
        using var g = BigGanPyTorchWeights.Load(path, inferred with { BnEps = bnEps });
        var (z, y, image) = Expected(model);
        using (z) using (y) using (image)
        {
            using var _ = no_grad();
            using var output = g.forward(z, y);
            AssertClose(image, output, 1e-4, $"{model} ({format})");
        }
    }

    [TestMethod]
    public void TheConfigurationIsReadOffTheShapes()
    {
        var c32 = InferredConfig(Path.Combine(Fixtures, "bgpt32_zip.pth"));
        Assert.AreEqual((32, 2, 16, 8, 5, true, true), (c32.Resolution, c32.GCh, c32.DimZ, c32.SharedDim, c32.NumClasses, c32.SharedEmbedding, c32.Hierarchical));
        CollectionAssert.AreEqual(new[] { 16 }, c32.GAttention.ToArray());
        var c64 = InferredConfig(Path.Combine(Fixtures, "bgpt64_legacy.pth"));
        Assert.AreEqual((64, 1, 8, 6, 4, true, false), (c64.Resolution, c64.GCh, c64.DimZ, c64.SharedDim, c64.NumClasses, c64.SharedEmbedding, c64.Hierarchical));
        CollectionAssert.AreEqual(new[] { 8 }, c64.GAttention.ToArray());
    }

    [TestMethod]
    public void AConfigurationThatDoesNotFitFailsNamingTheTensor()
    {
        var path = Path.Combine(Fixtures, "bgpt32_zip.pth");
        var wider = InferredConfig(path) with { GCh = 4 };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BigGanPyTorchWeights.Load(path, wider));
        StringAssert.Contains(e.Message, "the file's 'linear.weight' is [128, 4], expected [256, 4]");
        StringAssert.Contains(e.Message, path);

        var noAttention = InferredConfig(path) with { GAttention = [] };
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => BigGanPyTorchWeights.Load(path, noAttention));
        StringAssert.Contains(e2.Message, "the file's 'blocks.1.1.gamma' has no place in the model");
    }

    [TestMethod]
    public void TheGeneratorIsFoundInCombinedAndDataParallelFiles()
    {
        using var a = ones(1);
        using var b = zeros(1);
        CollectionAssert.AreEqual(new[] { "linear.weight" }, BigGanPyTorchWeights.Select(new Dictionary<string, Tensor> { ["G.linear.weight"] = a, ["G_ema.linear.weight"] = b, ["D.linear.weight"] = a }).Keys.ToArray());
        Assert.AreSame(b, BigGanPyTorchWeights.Select(new Dictionary<string, Tensor> { ["G.linear.weight"] = a, ["G_ema.linear.weight"] = b })["linear.weight"]);
        Assert.AreSame(a, BigGanPyTorchWeights.Select(new Dictionary<string, Tensor> { ["module.linear.weight"] = a })["linear.weight"]);
    }

    [TestMethod]
    public void AFileThatIsNoGeneratorIsRefusedNamingWhatIsMissing()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BigGanPyTorchWeights.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch-reader", "reader_zip.pt")));
        StringAssert.Contains(e.Message, "has no 'linear.weight': not a BigGAN-PyTorch generator state dict");
    }

    internal static ModelConfig InferredConfig(string path)
    {
        var file = TorchCheckpoint.Load(path);
        try
        {
            return BigGanPyTorchWeights.InferConfig(BigGanPyTorchWeights.Select(file), path);
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    internal static (Tensor z, Tensor y, Tensor image) Expected(string model)
    {
        var e = TorchCheckpoint.Load(Path.Combine(Fixtures, $"{model}_expected.pt"));
        return (e["z"], e["y"], e["image"]);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        using var diff = (expected - actual).abs().max();
        var max = diff.ToDouble();
        Assert.IsTrue(max <= tolerance, $"{what}: largest difference from the reference {max:g3} > {tolerance:g3}");
    }
}
