using System.Globalization;
using System.Text.RegularExpressions;
using BigGan.Training.Tests.Data;
using BigGan.Training.Tests.Support;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

/// <summary>
/// SIGINT and SIGTERM during <c>biggan train</c> (sent to a child process with kill): the current step finishes, a
/// checkpoint of that step is written and named, the exit code is 128 + the signal, and the run resumes from it; a
/// second signal stops at once. With <c>--nproc 2</c> the launcher passes the request on and reports what happened.
/// </summary>
[TestClass]
public sealed class TrainInterruptionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    internal static TempFolder NewData(out string images)
    {
        var folder = new TempFolder();
        var labels = Enumerable.Range(0, 32).Select(i => (byte)(i % 4)).ToArray();
        images = DataFixtures.WriteIdxPair(folder.Path, "train", DataFixtures.IdxImages(32), DataFixtures.IdxLabels(labels), gzip: false).images;
        return folder;
    }

    /// <summary>A run that would go on for a long time and never saves by itself before the signal.</summary>
    internal static List<string> EndlessRun(string images, string output, string ch = "4", string batch = "4", string saveEvery = "1000000") =>
    [
        "train", "--data", images, "--out", output, "--ch", ch, "--dim-z", "8", "--batch-size", batch, "--iterations", "1000000",
        "--save-every", saveEvery, "--sv-log-every", "0", "--threads", "1", "--seed", "5",
    ];

    // "stopped by SIGTERM after step 57; checkpoint /…/step-000000057; continue with: …"
    private static long StoppedStep(CliProcess p, string signal)
    {
        var m = Regex.Match(p.Text, $@"stopped by {signal} after step (\d+); checkpoint (\S+);");
        Assert.IsTrue(m.Success, $"no stop message for {signal}:\n{p.Describe()}");
        var step = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.AreEqual(Path.GetFullPath(m.Groups[2].Value), Checkpoint.Latest(Path.GetDirectoryName(Path.GetDirectoryName(m.Groups[2].Value))!)!.Path);
        return step;
    }

    private static bool SigintIgnoredIn(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
    }

    [TestMethod]
    [DataRow("TERM", 143)]
    [DataRow("INT", 130)]
    public void ASignalFinishesTheStepSavesItAndTheRunResumesFromIt(string signal, int expectedCode)
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        using (var p = CliProcess.Start(EndlessRun(images, run)))
        {
            // The progress line of step 49: training is under way (and no checkpoint was written yet).
            Assert.IsTrue(p.WaitForOutput("step 49/", Limit), "training did not start:\n" + p.Describe());
            Assert.IsNull(Checkpoint.Latest(run));
            if (signal == "INT" && SigintIgnoredIn(p.Pid))
                Assert.Inconclusive("this test process was started with SIGINT ignored (a background job of a non-interactive shell), and its children inherit that");
            p.Signal(signal);
            Assert.AreEqual(expectedCode, p.WaitForExit(Limit), p.Describe());
            StringAssert.Contains(p.Text, $"SIG{signal}: finishing the current step and saving a checkpoint");
            var step = StoppedStep(p, "SIG" + signal);
            Assert.IsGreaterThanOrEqualTo(49L, step);
            Assert.AreEqual(step, Checkpoint.Latest(run)!.Step, "the checkpoint is of the step training stopped at");
            StringAssert.Contains(p.Text, $"continue with: biggan train --resume {Path.GetFullPath(run)}");
        }
        using (var resumed = CliProcess.Start(["train", "--resume", run, "--iterations", (Checkpoint.Latest(run)!.Step + 2).ToString(CultureInfo.InvariantCulture)]))
        {
            Assert.AreEqual(0, resumed.WaitForExit(Limit), resumed.Describe());
            StringAssert.Contains(resumed.Text, $"done: step {Checkpoint.Latest(run)!.Step}");
        }
    }

    [TestMethod]
    public void ASecondSignalStopsAtOnceWithoutSaving()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        // A wider model: a step takes long enough for the second signal to arrive within it.
        using var p = CliProcess.Start(EndlessRun(images, run, ch: "16", batch: "8"));
        Assert.IsTrue(p.WaitForOutput("step 49/", Limit), "training did not start:\n" + p.Describe());
        p.Signal("TERM");
        Assert.IsTrue(p.WaitForOutput("finishing the current step", Limit), p.Describe());
        p.Signal("TERM");
        Assert.AreEqual(143, p.WaitForExit(Limit), p.Describe());
        StringAssert.Contains(p.Text, "SIGTERM again: stopping at once without saving");
        Assert.DoesNotContain("stopped by SIGTERM after step", p.Text);
        Assert.IsNull(Checkpoint.Latest(run), "nothing was saved");
    }

    [TestMethod]
    public void ASignalToTheLauncherStopsEveryWorkerAtTheSameStepAndRankZeroSaves()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        using var launcher = CliProcess.Start([.. EndlessRun(images, run), "--nproc", "2"]);
        Assert.IsTrue(launcher.WaitForOutput("step 49/", Limit), "training did not start:\n" + launcher.Describe());
        launcher.Signal("TERM");
        Assert.AreEqual(143, launcher.WaitForExit(Limit), launcher.Describe());
        StringAssert.Contains(launcher.Text, "launcher: SIGTERM: asking the 2 workers to finish their step and save a checkpoint");
        StringAssert.Contains(launcher.Text, "launcher: stopped by SIGTERM to the launcher: all 2 workers stopped together");
        var step = StoppedStep(launcher, "SIGTERM");
        Assert.AreEqual(step, Checkpoint.Latest(run)!.Step);
        Assert.DoesNotContain("killed by signal", launcher.Text);
        Assert.DoesNotContain("error:", launcher.Text);
    }

    [TestMethod]
    public void ASignalToOneWorkerStopsAllOfThemAtTheSameStep()
    {
        using var data = NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        using var launcher = CliProcess.Start([.. EndlessRun(images, run), "--nproc", "2"]);
        Assert.IsTrue(launcher.WaitForOutput("step 49/", Limit), "training did not start:\n" + launcher.Describe());
        var line = launcher.Stdout.Split('\n').First(l => l.StartsWith("launcher: ", StringComparison.Ordinal));
        var rank1 = int.Parse(line[(line.IndexOf("(pids ", StringComparison.Ordinal) + 6)..line.LastIndexOf(')')].Split(", ")[1], CultureInfo.InvariantCulture);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", rank1.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.AreEqual(143, launcher.WaitForExit(Limit), launcher.Describe());
        StringAssert.Contains(launcher.Text, "launcher: stopped by SIGTERM to worker rank");
        StringAssert.Contains(launcher.Text, "stopped by an interrupt on another rank after step");
        Assert.IsNotNull(Checkpoint.Latest(run), "rank 0 saved");
        Assert.DoesNotContain("killed by signal", launcher.Text);
    }
}
