namespace BigGan.Training.Tests.Distributed;

[TestClass]
public sealed class DistributedEnvironmentTests
{
    private static Func<string, string?> Env(params (string key, string? value)[] vars)
    {
        var d = vars.ToDictionary(v => v.key, v => v.value);
        return k => d.TryGetValue(k, out var v) ? v : null;
    }

    private static readonly (string, string?)[] Valid =
        [("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29500"), ("RANK", "1"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "1")];

    private static Func<string, string?> With(string key, string? value) =>
        Env(Valid.Where(v => v.Item1 != key).Append((key, value)).ToArray());

    [TestMethod]
    public void ReadsTheTorchrunVariables()
    {
        var e = DistributedEnvironment.FromEnvironment(Env(Valid));
        Assert.AreEqual("127.0.0.1", e.MasterAddr);
        Assert.AreEqual(29500, e.MasterPort);
        Assert.AreEqual(1, e.Rank);
        Assert.AreEqual(2, e.WorldSize);
        Assert.AreEqual(1, e.LocalRank);
        Assert.IsFalse(e.IsMaster);
        Assert.AreEqual("1", e.ToEnvironment()["RANK"]);
        Assert.AreEqual(e, DistributedEnvironment.FromEnvironment(e.ToEnvironment().GetValueOrDefault));
    }

    [TestMethod]
    public void LocalRankDefaultsToRank()
    {
        var e = DistributedEnvironment.FromEnvironment(With("LOCAL_RANK", null));
        Assert.AreEqual(1, e.LocalRank);
    }

    [TestMethod]
    [DataRow("MASTER_ADDR", null, "MASTER_ADDR is not set")]
    [DataRow("MASTER_ADDR", " ", "MASTER_ADDR is not set")]
    [DataRow("MASTER_PORT", null, "MASTER_PORT is not set")]
    [DataRow("MASTER_PORT", "http", "MASTER_PORT='http' is not an integer")]
    [DataRow("MASTER_PORT", "70000", "MASTER_PORT=70000 is not a valid port")]
    [DataRow("RANK", null, "RANK is not set")]
    [DataRow("RANK", "one", "RANK='one' is not an integer")]
    [DataRow("RANK", "2", "RANK=2 is out of range for WORLD_SIZE=2: expected 0..1")]
    [DataRow("RANK", "-1", "RANK=-1 is out of range")]
    [DataRow("WORLD_SIZE", null, "WORLD_SIZE is not set")]
    [DataRow("WORLD_SIZE", "2.5", "WORLD_SIZE='2.5' is not an integer")]
    [DataRow("WORLD_SIZE", "0", "WORLD_SIZE=0 is not valid: expected at least 1")]
    [DataRow("LOCAL_RANK", "x", "LOCAL_RANK='x' is not an integer")]
    [DataRow("LOCAL_RANK", "5", "LOCAL_RANK=5 is out of range")]
    public void RejectsMissingOrMalformedVariablesNamingThem(string key, string? value, string message)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DistributedEnvironment.FromEnvironment(With(key, value)));
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void TheExplicitConstructorValidatesToo()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistributedEnvironment("127.0.0.1", 29500, 3, 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistributedEnvironment("127.0.0.1", 0, 0, 1));
        Assert.ThrowsExactly<ArgumentException>(() => new DistributedEnvironment("", 29500, 0, 1));
    }

    [TestMethod]
    public void InitFromEnvironmentFailsBeforeAnyNetworkingWhenAVariableIsMissing()
    {
        // The test process has no torchrun variables unless a launcher set them.
        if (Environment.GetEnvironmentVariable("RANK") is not null) Assert.Inconclusive("RANK is set in this environment");
        var e = Assert.ThrowsExactly<ArgumentException>(() => distributed.init_process_group("gloo"));
        StringAssert.Contains(e.Message, "is not set");
        Assert.IsFalse(distributed.is_initialized());
    }
}
