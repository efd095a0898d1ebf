using System.Text.Json;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

[TestClass]
public sealed class TrainingLogTests
{
    private string _runDir = "";

    [TestInitialize]
    public void CreateRunDir() => _runDir = Path.Combine(Path.GetTempPath(), "bgn-log-" + Guid.NewGuid().ToString("N"));

    [TestCleanup]
    public void DeleteRunDir()
    {
        if (Directory.Exists(_runDir)) Directory.Delete(_runDir, recursive: true);
    }

    private static Dictionary<string, double> Losses(double g) => new() { ["G_loss"] = g, ["D_loss_real"] = 0.5, ["D_loss_fake"] = 0.25 };

    [TestMethod]
    public void EveryLineIsAJsonObjectWithStepLossesAndSingularValues()
    {
        using (var log = new TrainingLog(_runDir))
        {
            log.Write(1, Losses(0.1), seconds: 0.8);
            log.Write(2, Losses(0.2), seconds: 0.7, singularValues: new Dictionary<string, double> { ["G.blocks.0.conv1"] = 1.25, ["D.linear"] = 0.5 });
            // flushed line by line: readable while the writer is still open
            Assert.AreEqual(2, File.ReadAllLines(Path.Combine(_runDir, TrainingLog.DefaultFileName)).Length);
            log.Write(3, Losses(double.NaN), seconds: 0.6, extra: new Dictionary<string, double> { ["lr"] = 2e-4 });
        }
        var lines = TrainingLog.Read(Path.Combine(_runDir, TrainingLog.DefaultFileName)).ToList();
        Assert.AreEqual(3, lines.Count);
        var first = lines[0].RootElement;
        Assert.AreEqual(1, first.GetProperty("step").GetInt64());
        Assert.AreEqual(0.8, first.GetProperty("seconds").GetDouble());
        Assert.AreEqual(0.1, first.GetProperty("losses").GetProperty("G_loss").GetDouble());
        Assert.AreEqual(0.25, first.GetProperty("losses").GetProperty("D_loss_fake").GetDouble());
        Assert.IsFalse(first.TryGetProperty("sv", out _));
        Assert.IsTrue(DateTime.TryParse(first.GetProperty("utc").GetString(), out _));
        Assert.AreEqual(1.25, lines[1].RootElement.GetProperty("sv").GetProperty("G.blocks.0.conv1").GetDouble());
        Assert.AreEqual("NaN", lines[2].RootElement.GetProperty("losses").GetProperty("G_loss").GetString());
        Assert.AreEqual(2e-4, lines[2].RootElement.GetProperty("extra").GetProperty("lr").GetDouble());
        foreach (var d in lines) d.Dispose();
    }

    [TestMethod]
    public void ResumingDropsLinesAfterTheCheckpointStepAndATornLine()
    {
        var path = Path.Combine(_runDir, TrainingLog.DefaultFileName);
        using (var log = new TrainingLog(_runDir))
            for (int s = 1; s <= 5; s++) log.Write(s, Losses(s), 1);
        File.AppendAllText(path, "{\"step\":6,\"los"); // a crash mid-line
        using (var log = new TrainingLog(_runDir, keepUpToStep: 3))
            log.Write(4, Losses(40), 1);
        var steps = TrainingLog.Read(path).Select(d => { using (d) return d.RootElement.GetProperty("step").GetInt64(); }).ToArray();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4 }, steps);
    }

    [TestMethod]
    public void ReadingAMissingOrCorruptLogNamesTheFile()
    {
        var path = Path.Combine(_runDir, "missing.jsonl");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => TrainingLog.Read(path).ToList()).Message, path);
        Directory.CreateDirectory(_runDir);
        File.WriteAllText(path, "{\"step\":1}\nnot json\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingLog.Read(path).Select(d => { d.Dispose(); return 0; }).ToList());
        StringAssert.Contains(e.Message, path + " line 2");
    }
}
