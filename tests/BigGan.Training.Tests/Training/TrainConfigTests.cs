using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class TrainConfigTests
{
    [TestMethod]
    public void DefaultsAreValidAndFollowBigGan()
    {
        var c = new TrainConfig();
        Assert.AreEqual(0, c.Validate().Count);
        Assert.AreEqual(2e-4, c.GLr);
        Assert.AreEqual(2e-4, c.DLr);
        Assert.AreEqual(new AdamBetas(0, 0.999), c.GBetas);
        Assert.AreEqual(new AdamBetas(0, 0.999), c.DBetas);
        Assert.AreEqual(1e-8, c.AdamEps);
        Assert.AreEqual(2, c.DSteps);
        Assert.AreEqual(0.9999, c.EmaDecay);
        Assert.AreEqual(LossKind.Hinge, c.Loss);
        Assert.AreEqual(64, c.EffectiveGBatchSize);
        Assert.AreEqual(128, (c with { GBatchSize = 128 }).EffectiveGBatchSize);
    }

    [TestMethod]
    public void JsonRoundTripsWithOptionNames()
    {
        var c = new TrainConfig { GLr = 1e-4, DBetas = new AdamBetas(0.5, 0.99), Loss = LossKind.NonSaturating, Seed = 42, Data = "fashion-mnist", HFlip = true };
        var json = c.ToJson();
        StringAssert.Contains(json, "\"g-lr\": 0.0001");
        StringAssert.Contains(json, "\"loss\": \"non-saturating\"");
        StringAssert.Contains(json, "\"h-flip\": true");
        Assert.IsFalse(json.Contains("effective", StringComparison.OrdinalIgnoreCase));
        Assert.AreEqual(c, TrainConfig.FromJson(json));
        var partial = TrainConfig.FromJson("""{ "d-steps": 4, "batch-size": 50, "d-betas": [0, 0.9] }""");
        Assert.AreEqual(new TrainConfig { DSteps = 4, BatchSize = 50, DBetas = new AdamBetas(0, 0.9) }, partial);
    }

    [TestMethod]
    public void InvalidFieldsAreNamed()
    {
        var errors = new TrainConfig { GLr = -1, DSteps = 0, GBetas = new AdamBetas(0, 1), EmaDecay = 1.2, NumSaveCopies = 0 }.Validate();
        Assert.AreEqual(5, errors.Count, string.Join("\n", errors));
        Assert.IsTrue(errors.Any(e => e.StartsWith("GLr = -1", StringComparison.Ordinal)));
        Assert.IsTrue(errors.Any(e => e.StartsWith("DSteps = 0", StringComparison.Ordinal)));
        Assert.IsTrue(errors.Any(e => e.StartsWith("GBetas = (0, 1)", StringComparison.Ordinal)));
        Assert.IsTrue(errors.Any(e => e.StartsWith("EmaDecay = 1.2", StringComparison.Ordinal)));
        Assert.IsTrue(errors.Any(e => e.StartsWith("NumSaveCopies = 0", StringComparison.Ordinal)));
        var thrown = Assert.ThrowsExactly<ArgumentException>(() => new TrainConfig { BatchSize = 0 }.ThrowIfInvalid());
        StringAssert.Contains(thrown.Message, "BatchSize = 0 is invalid");
    }

    [TestMethod]
    public void BadJsonNamesTheFieldAndTheSource()
    {
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => TrainConfig.FromJson("""{ "g-lrr": 1 }""", "run/config.json"));
        StringAssert.Contains(unknown.Message, "run/config.json");
        StringAssert.Contains(unknown.Message, "g-lrr");
        var invalid = Assert.ThrowsExactly<ArgumentException>(() => TrainConfig.FromJson("""{ "d-lr": 0 }""", "run/config.json"));
        StringAssert.Contains(invalid.Message, "DLr = 0 is invalid");
        var betas = Assert.ThrowsExactly<ArgumentException>(() => TrainConfig.FromJson("""{ "g-betas": [0] }"""));
        StringAssert.Contains(betas.Message, "betas");
        var missing = Path.Combine(Path.GetTempPath(), "bgn-missing-" + Guid.NewGuid().ToString("N") + ".json");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => TrainConfig.Load(missing)).Message, missing);
    }

    [TestMethod]
    public void SaveAndLoadAFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "bgn-config-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var c = new TrainConfig { Iterations = 123, EmaStart = 7, GOrtho = 1e-4 };
            c.Save(path);
            Assert.AreEqual(c, TrainConfig.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
