using System.Globalization;
using BigGan.Training.Tests.Data;
using BigGan.Training.Tests.Support;
using BigGan.Training.Training;

namespace BigGan.Training.Tests.Training;

/// <summary>
/// <c>biggan train</c> and its run folder: one trainer at a time (an OS lock, released when the holder dies),
/// arguments refused before the data is read, damaged or non-finite checkpoints skipped when resuming, and temporary
/// files of an interrupted write swept away.
/// </summary>
[TestClass]
public sealed class TrainRunFolderTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start(args);
        var code = p.WaitForExit(Limit);
        return (code, p.Text);
    }

    private static List<string> ShortRun(string images, string output, long iterations, long saveEvery) =>
    [
        "train", "--data", images, "--out", output, "--ch", "4", "--dim-z", "8", "--batch-size", "4",
        "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--save-every", saveEvery.ToString(CultureInfo.InvariantCulture),
        "--num-save-copies", "3", "--sv-log-every", "0", "--threads", "1", "--seed", "7",
    ];

    [TestMethod]
    public void ASecondTrainerOfTheSameFolderFailsAtOnceNamingTheHolderWhileSamplingStaysAllowed()
    {
        using var data = TrainInterruptionTests.NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        using (var first = CliProcess.Start(TrainInterruptionTests.EndlessRun(images, run, saveEvery: "10")))
        {
            Assert.IsTrue(first.WaitForOutput("checkpoint at step 10", Limit), "training did not start:\n" + first.Describe());
            foreach (var second in new[] { (string[])["train", "--resume", run], [.. ShortRun(images, run, 5, 5)], ["demo", "--out", run, "--minutes", "1"] })
            {
                var (code, text) = Biggan(second);
                Assert.AreEqual(1, code, text);
                StringAssert.Contains(text, $"is being trained by another process (pid {first.Pid} on ");
                StringAssert.Contains(text, "one trainer per run folder");
                Assert.DoesNotContain("data:", text, "refused before reading the data");
            }
            var sheet = runs["sheet.png"];
            var (sampleCode, sampleText) = Biggan("sample", "--run", run, "--out", sheet, "--per-class", "2");
            Assert.AreEqual(0, sampleCode, sampleText);
            Assert.IsTrue(File.Exists(sheet));

            first.Kill(); // kill -9: the system releases the lock with the process
            first.WaitForExit(Limit);
        }
        var resumeTo = Checkpoint.Latest(run)!.Step + 1;
        var (resumed, resumedText) = Biggan("train", "--resume", run, "--iterations", resumeTo.ToString(CultureInfo.InvariantCulture));
        Assert.AreEqual(0, resumed, resumedText);
        StringAssert.Contains(resumedText, $"done: step {resumeTo}");
    }

    [TestMethod]
    [DataRow("--ch", "1000", "lower --ch")]
    [DataRow("--batch-size", "30000", "lower --batch-size")]
    public void SizesThatCannotFitAreRefusedBeforeTheDataIsRead(string option, string value, string advice)
    {
        using var runs = new TempFolder();
        var run = runs["run"];
        // The data does not exist: had it been read first, that would be the error.
        var (code, text) = Biggan("train", "--data", runs["no-such-data"], "--out", run, option, value);
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "this configuration needs an estimated ");
        StringAssert.Contains(text, advice);
        StringAssert.Contains(text, "Estimate: parameters ");
        Assert.DoesNotContain("no-such-data", text);
        Assert.IsFalse(Directory.Exists(run), "no run folder is made for a refused configuration");
    }

    [TestMethod]
    public void InvalidArgumentsAreRefusedBeforeTheDataIsRead()
    {
        using var runs = new TempFolder();
        var (code, text) = Biggan("train", "--data", runs["no-such-data"], "--out", runs["run"], "--iterations", "0", "--ema-decay", "2");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "Iterations = 0 is invalid");
        StringAssert.Contains(text, "EmaDecay = 2 is invalid");
        Assert.DoesNotContain("no-such-data", text);
        Assert.IsFalse(Directory.Exists(runs["run"]));
    }

    [TestMethod]
    public void AnOutputFolderHoldingARunIsRefusedBeforeTheDataIsRead()
    {
        using var runs = new TempFolder();
        var run = runs["run"];
        Directory.CreateDirectory(Path.Combine(Checkpoint.Folder(run), "step-000000004")); // by name: even a damaged one marks a run
        var (code, text) = Biggan("train", "--data", runs["no-such-data"], "--out", run, "--ch", "4");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "already holds a training run (checkpoint at step 4); resume it or choose another output folder");
        Assert.DoesNotContain("no-such-data", text);
        (code, text) = Biggan("demo", "--out", run, "--minutes", "1");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "already holds a training run (checkpoint at step 4)");
        Assert.DoesNotContain("data:", text, "refused before reading the data");
    }

    [TestMethod]
    public void DataChannelsConvertTheImagesTheModelIsBuiltFor()
    {
        using var data = TrainInterruptionTests.NewData(out var images);
        using var runs = new TempFolder();
        var (code, text) = Biggan([.. ShortRun(images, runs["rgb"], 2, 2), "--data-channels", "3"]);
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, "3 channel(s)");
        Assert.AreEqual(3, RunConfig.Load(Path.Combine(runs["rgb"], RunConfig.FileName)).Model.Channels);
        (code, text) = Biggan("train", "--data", runs["no-such-data"], "--out", runs["bad"], "--data-channels", "2");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "DataChannels = 2 is invalid");
    }

    [TestMethod]
    public void ABatchLargerThanTheDataNamesTheOptionsThatMakeIt()
    {
        using var data = TrainInterruptionTests.NewData(out var images); // 32 images
        using var runs = new TempFolder();
        var (code, text) = Biggan("train", "--data", images, "--out", runs["run"], "--batch-size", "16", "--d-steps", "4", "--ch", "4");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "--batch-size 16 × --d-steps 4 × --d-accumulations 1 = 64 real images per iteration, more than the 32 images of");
        Assert.IsFalse(Directory.Exists(runs["run"]), "the folder made for the lock is removed again");
    }

    [TestMethod]
    public void ResumeSkipsADamagedLatestCheckpointAndSaysSo()
    {
        using var data = TrainInterruptionTests.NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        var (code, text) = Biggan([.. ShortRun(images, run, 4, 2)]);
        Assert.AreEqual(0, code, text);
        var latest = Path.Combine(Checkpoint.Folder(run), "step-000000004");
        var d = Path.Combine(latest, Checkpoint.DFile);
        File.WriteAllBytes(d, File.ReadAllBytes(d)[..100]); // truncated, as by a full disk or a bad copy

        (code, text) = Biggan("train", "--resume", run, "--iterations", "5");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, $"warning: skipped 1 unusable checkpoint(s): step-000000004 ({d} ");
        StringAssert.Contains(text, $"Resuming from the newest intact one, {Path.Combine(Checkpoint.Folder(run), "step-000000002")} (step 2)");
        StringAssert.Contains(text, "done: step 5");
    }

    [TestMethod]
    public void ResumeRefusesACheckpointWithNonFiniteWeightsAndTakesTheOlderOne()
    {
        using var data = TrainInterruptionTests.NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        var (code, text) = Biggan([.. ShortRun(images, run, 4, 2)]);
        Assert.AreEqual(0, code, text);
        var g = Path.Combine(Checkpoint.Folder(run), "step-000000004", Checkpoint.GFile);
        WriteNaNInto(g);

        (code, text) = Biggan("train", "--resume", run, "--iterations", "5");
        Assert.AreEqual(0, code, text);
        StringAssert.Contains(text, $"{g}: tensor '");
        StringAssert.Contains(text, "NaN or infinite value");
        StringAssert.Contains(text, "(step 2)");
        Assert.DoesNotContain("training diverged at step", text);

        // With no good checkpoint left, resuming fails naming the problem instead of training on NaN.
        foreach (var (path, _) in Checkpoint.Folders(run)) WriteNaNInto(Path.Combine(path, Checkpoint.GFile));
        (code, text) = Biggan("train", "--resume", run, "--iterations", "9");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "no intact checkpoint in ");
        StringAssert.Contains(text, "NaN or infinite value");
        Assert.DoesNotContain("last good checkpoint", text);
    }

    // The first float32 value of the file's first float tensor becomes NaN, as a file saved with a NaN weight: the
    // data checksum key is renamed (same length, so the header keeps its size) so that the file reads as unchecked.
    private static void WriteNaNInto(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var key = System.Text.Encoding.ASCII.GetBytes("biggan.data_sha256");
        var at = bytes.AsSpan().IndexOf(key);
        if (at >= 0) System.Text.Encoding.ASCII.GetBytes("unchecked.sha2-256").CopyTo(bytes, at);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var tensor = header.RootElement.EnumerateObject().First(p => p.Name != "__metadata__" && p.Value.GetProperty("dtype").GetString() == "F32");
        var offset = 8 + headerLength + tensor.Value.GetProperty("data_offsets")[0].GetInt32();
        BitConverter.TryWriteBytes(bytes.AsSpan(offset, 4), float.NaN);
        File.WriteAllBytes(file, bytes);
    }

    [TestMethod]
    public void AWidthBeyondTheSanityLimitIsRefusedBeforeTheDataIsRead()
    {
        using var runs = new TempFolder();
        var (code, text) = Biggan("train", "--data", runs["no-such-data"], "--out", runs["run"], "--ch", "2000");
        Assert.AreEqual(1, code, text);
        StringAssert.Contains(text, "GCh is 2000; expected at most 1024");
        Assert.DoesNotContain("no-such-data", text);
    }

    [TestMethod]
    public void TemporaryFilesOfAnInterruptedWriteAreRemovedWhenTrainingResumes()
    {
        using var data = TrainInterruptionTests.NewData(out var images);
        using var runs = new TempFolder();
        var run = runs["run"];
        var (code, text) = Biggan([.. ShortRun(images, run, 2, 2)]);
        Assert.AreEqual(0, code, text);
        // What a kill in the middle of AtomicFile.Write leaves: a hidden temporary next to the file it was writing.
        var orphans = new[]
        {
            Path.Combine(run, "samples", $".sheet_step0000004.png.{Guid.NewGuid():N}.tmp"),
            Path.Combine(run, $".config.json.{Guid.NewGuid():N}.tmp"),
        };
        foreach (var f in orphans) File.WriteAllText(f, "partial");
        var unrelated = Path.Combine(run, "samples", "notes.tmp");
        File.WriteAllText(unrelated, "mine");

        (code, text) = Biggan("train", "--resume", run, "--iterations", "3");
        Assert.AreEqual(0, code, text);
        foreach (var f in orphans) Assert.IsFalse(File.Exists(f), $"{f} was left behind");
        Assert.IsTrue(File.Exists(unrelated), "only files of the temporary-file pattern are removed");
    }
}
