using System.Text.Json;
using BigGan.Training.Data;
using BigGan.Training.Model;
using BigGan.Training.Training;
using BigGan.Training.Tests.Data;
using BigGan.Training.Tests.Support;

namespace BigGan.Training.Tests.Training;

/// <summary>Runs forced to collapse by an absurd G learning rate (1.0, 5000× the usual): detected, stopped or rolled back.</summary>
[TestClass]
public sealed class CollapseRollbackTests
{
    private static RunConfig Collapsing(CollapseAction action) => new(
        ModelConfig.Cifar(numClasses: 4, channels: 1, ch: 4) with { DimZ = 8 },
        new TrainConfig
        {
            BatchSize = 8, DSteps = 1, Iterations = 400, GLr = 1.0, Seed = 1, Threads = 1, SaveEvery = 5, NumSaveCopies = 100,
            SvLogEvery = 2, OnCollapse = action, CollapseWindow = 20, CollapseLrFactor = 0.5,
        });

    private static ShuffledBatchSource Source() => new(new ToyDataset(), new BatchSourceOptions { PrefetchBatches = 0 });

    private static List<JsonElement> Events(string dir, string kind) =>
        TrainingLog.Read(Path.Combine(dir, TrainingLog.DefaultFileName)).Select(d => d.RootElement.Clone())
            .Where(e => e.TryGetProperty("event", out var k) && k.GetString() == kind).ToList();

    [TestMethod]
    public void StopEndsTheRunWithTheDiagnosisAndLogsIt()
    {
        torch.set_num_threads(1);
        var dir = Directory.CreateTempSubdirectory("biggan-collapse-").FullName;
        using var data = Source();
        using var trainer = new BigGanTrainer(Collapsing(CollapseAction.Stop), data, dir);
        var e = Assert.ThrowsExactly<TrainingCollapsedException>(() => trainer.Train());
        StringAssert.Contains(e.Message, "training collapsed at step");
        Assert.IsTrue(e.Diagnosis.Step < 400, "the collapse must be caught before the run ends");
        var logged = Events(dir, "collapse");
        Assert.HasCount(1, logged);
        Assert.AreEqual(e.Diagnosis.Step, logged[0].GetProperty("step").GetInt64());
    }

    [TestMethod]
    public void LogRecordsTheCollapseAndTrainingGoesOnAsBefore()
    {
        torch.set_num_threads(1);
        var dir = Directory.CreateTempSubdirectory("biggan-collapse-").FullName;
        var config = Collapsing(CollapseAction.Log);
        config = config with { Train = config.Train with { Iterations = 150, SaveEvery = 1, NumSaveCopies = 1000 } };
        using var data = Source();
        using var trainer = new BigGanTrainer(config, data, dir);
        Assert.AreEqual(TrainStopReason.Completed, trainer.Train());
        Assert.IsTrue(Events(dir, "collapse").Count >= 1, "the forced collapse was not logged");
        // Nothing is skipped at the steps a collapse is logged: every step's checkpoint is there.
        Assert.AreEqual(150, Checkpoint.List(dir, CheckpointKind.Regular).Count);
    }

    [TestMethod]
    public void TheCliStopsACollapsingRunWithOneClearLine()
    {
        using var runs = new TempFolder();
        using var p = CliProcess.Start(["train", "--data", "fashion-mnist", "--ch", "4", "--dim-z", "8", "--batch-size", "8", "--iterations", "400",
            "--g-lr", "1", "--seed", "1", "--threads", "1", "--sv-log-every", "2", "--collapse-window", "20", "--on-collapse", "stop",
            "--save-every", "1000", "--out", runs["run"]]);
        Assert.AreEqual(1, p.WaitForExit(TimeSpan.FromMinutes(3)), p.Describe());
        StringAssert.Contains(p.Text, "error: training collapsed at step ");
        Assert.DoesNotContain("Unhandled exception", p.Text);
    }

    [TestMethod]
    public void RollbackRestoresACheckpointFromBeforeTheOnsetWithLowerLearningRates()
    {
        torch.set_num_threads(1);
        var dir = Directory.CreateTempSubdirectory("biggan-collapse-").FullName;
        using var data = Source();
        using var trainer = new BigGanTrainer(Collapsing(CollapseAction.Rollback), data, dir);
        try { trainer.Train(); }
        catch (TrainingCollapsedException e) { StringAssert.Contains(e.Message, "rollbacks"); } // 1.0 stays absurd after 3 halvings

        var rollbacks = Events(dir, "rollback");
        Assert.IsTrue(rollbacks.Count >= 1, "no rollback happened");
        var first = rollbacks[0].GetProperty("values");
        Assert.IsTrue(first.GetProperty("to_step").GetInt64() < first.GetProperty("onset_step").GetInt64(), "rolled back to a checkpoint after the onset");
        Assert.AreEqual(0.5, first.GetProperty("g_lr").GetDouble(), 1e-12);
        Assert.AreEqual(1e-4, first.GetProperty("d_lr").GetDouble(), 1e-12);
        // The lowered rates are the run's configuration now: in config.json, for a resume.
        var saved = RunConfig.Load(Path.Combine(dir, RunConfig.FileName)).Train;
        Assert.AreEqual(Math.Pow(0.5, rollbacks.Count), saved.GLr, 1e-12);
        Assert.AreEqual(trainer.Config.Train.GLr, saved.GLr);
    }
}
