using BigGan.Training.Model;

namespace BigGan.Training.Tests.Model;

[TestClass]
public sealed class ModelConfigTests
{
    private static void Rejects(ModelConfig config, string field, string fragment)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => config.Validate());
        Assert.AreEqual(field, e.ParamName);
        StringAssert.Contains(e.Message, fragment);
    }

    [TestMethod]
    public void PresetsAreValid()
    {
        var cifar = ModelConfig.Cifar().Validate();
        Assert.AreEqual((32, 64, 64, 128, false, false, Init.N02), (cifar.Resolution, cifar.GCh, cifar.DCh, cifar.DimZ, cifar.SharedEmbedding, cifar.Hierarchical, cifar.GInit));
        Assert.AreEqual(0, cifar.GAttention.Count);
        var imagenet = ModelConfig.ImageNet128().Validate();
        Assert.AreEqual((128, 96, 120, 128, true, true, Init.Ortho, 1000), (imagenet.Resolution, imagenet.GCh, imagenet.DimZ, imagenet.ResolvedSharedDim, imagenet.SharedEmbedding, imagenet.Hierarchical, imagenet.GInit, imagenet.NumClasses));
        CollectionAssert.AreEqual(new[] { 64 }, imagenet.GAttention.ToArray());
        Assert.AreEqual(6, imagenet.NumZChunks);
        Assert.AreEqual(128, new ModelConfig { SharedEmbedding = true }.ResolvedSharedDim, "SharedDim 0 means DimZ");
    }

    [TestMethod]
    public void ValidationNamesTheField()
    {
        var ok = ModelConfig.Cifar();
        Rejects(ok with { Resolution = 48 }, "Resolution", "32, 64, 128, 256, 512");
        Rejects(ok with { Channels = 2 }, "Channels", "1 (grayscale) or 3");
        Rejects(ok with { NumClasses = 0 }, "NumClasses", "at least 1");
        Rejects(ok with { GCh = 0 }, "GCh", "at least 1");
        Rejects(ok with { DimZ = -1 }, "DimZ", "at least 1");
        Rejects(ok with { SharedDim = -3 }, "SharedDim", "positive");
        // sanity limits: a configuration read from a file cannot ask for gigabytes
        Rejects(ok with { GCh = 3000 }, "GCh", $"is 3000; expected at most {ModelConfig.MaxChannelMultiplier}");
        Rejects(ok with { DCh = 100_000 }, "DCh", "at most");
        Rejects(ok with { NumClasses = 1_000_000 }, "NumClasses", $"at most {ModelConfig.MaxClasses}");
        Rejects(ok with { DimZ = 1 << 20 }, "DimZ", "at most");
        Rejects(ok with { NumGSvItrs = 1000 }, "NumGSvItrs", "at most");
        Rejects(ok with { Hierarchical = true }, "Hierarchical", "SharedEmbedding");
        Rejects(ok with { Hierarchical = true, SharedEmbedding = true, DimZ = 130 }, "DimZ", "4 equal chunks");
        Rejects(ModelConfig.ImageNet128() with { DimZ = 128 }, "DimZ", "126");
        Rejects(ok with { BnEps = 0 }, "BnEps", "positive");
        Rejects(ok with { SnEps = double.NaN }, "SnEps", "positive");
        Rejects(ok with { NumDSvs = 0 }, "NumDSvs", "at least 1");
        Rejects(ok with { NumGSvItrs = 0 }, "NumGSvItrs", "at least 1");
        Rejects(ok with { GAttention = [64] }, "GAttention", "8, 16, 32");
        Rejects(ok with { DAttention = [8, 8] }, "DAttention", "twice");
        Rejects(ok with { GCh = 1, GAttention = [16] }, "GAttention", "at least 8");
        Rejects(ok with { Deep = true }, "Deep", "SharedEmbedding = true and Hierarchical = true");
        Rejects(ModelConfig.ImageNet128() with { Deep = true, Resolution = 512 }, "Resolution", "BigGAN-deep has tables for 32, 64, 128, 256");
        Rejects(ModelConfig.ImageNet128() with { Deep = true, GDepth = 0 }, "GDepth", "at least 1");
        Rejects(ModelConfig.ImageNet128() with { Deep = true, Resolution = 64, DCh = 1, GAttention = [], DAttention = [] }, "DCh", "at least 4 output channels");
        Rejects(ok with { GAttention = null! }, "GAttention", "null");
    }

    [TestMethod]
    public void JsonRoundTrip()
    {
        var config = ModelConfig.ImageNet128() with { Channels = 1, NumClasses = 10, DAttention = [64, 16], DWide = false, SnEps = 1e-6 };
        var json = config.ToJson();
        StringAssert.Contains(json, "\"g-init\":\"ortho\"", "named as the command-line options");
        StringAssert.Contains(json, "\"shared-embedding\":true");
        var back = ModelConfig.FromJson(json);
        Assert.AreEqual(config, back);
        Assert.AreEqual(config.GetHashCode(), back.GetHashCode());
        Assert.AreNotEqual(config, back with { BnEps = 1e-4 });
        Assert.AreEqual(config, config with { DAttention = [16, 64] }, "attention lists compare as sets");
        Assert.AreEqual(new ModelConfig(), ModelConfig.FromJson("{}"), "missing fields take their defaults");
        var bad = Assert.ThrowsExactly<ArgumentException>(() => ModelConfig.FromJson("{\"resolution\": 33}"));
        StringAssert.Contains(bad.Message, "Resolution");
        Assert.ThrowsExactly<ArgumentException>(() => ModelConfig.FromJson("{\"resolution\": "));
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => ModelConfig.FromJson("{\"g-chh\": 8}"));
        StringAssert.Contains(unknown.Message, "g-chh", "a misspelt field is an error, not a silent default");
    }

    [TestMethod]
    public void JsonOfEarlierVersionsIsStillRead()
    {
        // Written before the model section took the command-line names.
        var legacy = ModelConfig.FromJson("{\"Resolution\":64,\"Channels\":1,\"GCh\":8,\"DCh\":8,\"GInit\":\"N02\",\"SharedEmbedding\":true,\"DAttention\":[32]}");
        Assert.AreEqual(new ModelConfig { Resolution = 64, Channels = 1, GCh = 8, DCh = 8, GInit = Init.N02, SharedEmbedding = true, DAttention = [32] }, legacy);
    }

    [TestMethod]
    public void ArchitectureTablesFollowTheReference()
    {
        var g128 = ArchitectureTable.Generator(128, 96);
        CollectionAssert.AreEqual(new[] { 1536, 1536, 768, 384, 192 }, g128.Select(b => b.InChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 1536, 768, 384, 192, 96 }, g128.Select(b => b.OutChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 8, 16, 32, 64, 128 }, g128.Select(b => b.OutputResolution).ToArray());
        var d128 = ArchitectureTable.Discriminator(128, 96, 3);
        CollectionAssert.AreEqual(new[] { 3, 96, 192, 384, 768, 1536 }, d128.Select(b => b.InChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 96, 192, 384, 768, 1536, 1536 }, d128.Select(b => b.OutChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 64, 32, 16, 8, 4, 4 }, d128.Select(b => b.OutputResolution).ToArray());
        var d512 = ArchitectureTable.Discriminator(512, 1, 1);
        Assert.AreEqual(8, d512.Count);
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 4, 8, 8, 16, 16 }, d512.Select(b => b.OutChannels).ToArray());
        var d32 = ArchitectureTable.Discriminator(32, 64, 3, [8]);
        CollectionAssert.AreEqual(new[] { 16, 8, 8, 8 }, d32.Select(b => b.OutputResolution).ToArray());
        CollectionAssert.AreEqual(new[] { true, true, false, false }, d32.Select(b => b.Downsample).ToArray());
        CollectionAssert.AreEqual(new[] { false, true, true, true }, d32.Select(b => b.Attention).ToArray());
        CollectionAssert.AreEqual(new[] { 16, 16, 8, 8, 4, 2, 1 }, ArchitectureTable.Generator(512, 1).Select(b => b.InChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 16, 8, 8, 4, 2, 1 }, ArchitectureTable.Generator(256, 1).Select(b => b.OutChannels).ToArray());
    }
}
