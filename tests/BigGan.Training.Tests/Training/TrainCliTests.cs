using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using BigGan.Training.Model;
using BigGan.Training.Training;
using BigGan.Training.Tests.Data;
using BigGan.Training.Tests.Support;

namespace BigGan.Training.Tests.Training;

/// <summary>`biggan train`'s options: one per configuration field, documented, and bad values refused clearly.</summary>
[TestClass]
public sealed class TrainCliTests
{
    private static (int code, string text) Biggan(params string[] args)
    {
        using var p = CliProcess.Start(["train", .. args]);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, System.Text.RegularExpressions.Regex.Replace(p.Text, " {2,}", " ")); // help pads its columns
    }

    [TestMethod]
    public void HelpDescribesEveryConfigurationFieldWithItsDefault()
    {
        var (code, text) = Biggan("--help");
        Assert.AreEqual(0, code, text);
        var fields = typeof(TrainConfig).GetProperties().Concat(typeof(ModelConfig).GetProperties())
            .Where(p => p.SetMethod is not null && p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.Name is not ("Channels" or "NumClasses"));
        foreach (var p in fields)
        {
            var option = "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(p.Name) + " <";
            StringAssert.Contains(text, option, $"{p.Name} has an option");
            var help = text[(text.IndexOf(option, StringComparison.Ordinal) + option.Length)..];
            help = help[(help.IndexOf('>') + 1)..].TrimStart();
            Assert.IsFalse(help.StartsWith(p.Name + " [", StringComparison.Ordinal), $"{p.Name} has a doc comment for its help: {help[..Math.Min(80, help.Length)]}");
        }
        StringAssert.Contains(text, "--d-steps <d-steps> D updates per G update. [integer; default 2]");
        StringAssert.Contains(text, "--g-init <g-init> Weight init of G's conv, linear and embedding layers: orthogonal (the paper), N(0, 0.02) or Xavier. [ortho|n02|xavier; default ortho]");
    }

    [TestMethod]
    public void ATimeBoundedRunShowsTheTimeLeftNotAStepCount()
    {
        using var folder = new TempFolder();
        var labels = Enumerable.Range(0, 32).Select(i => (byte)(i % 4)).ToArray();
        var images = DataFixtures.WriteIdxPair(folder.Path, "train",
            DataFixtures.IdxImages(32), DataFixtures.IdxLabels(labels), gzip: false).images;
        var (code, text) = Biggan("--data", images, "--out", folder["run"], "--ch", "4", "--dim-z", "8", "--batch-size", "4",
            "--iterations", "2", "--max-minutes", "30", "--threads", "1");
        Assert.AreEqual(0, code, text);
        StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"step 2 G .* it/s 00:00:\d\d of 00:30:00, 00:2\d:\d\d left"), text);
        Assert.IsFalse(text.Contains("step 2/2", StringComparison.Ordinal), text);
    }

    [TestMethod]
    public void BadValuesAndMisspeltConfigFieldsGiveOneClearLine()
    {
        var dir = Directory.CreateTempSubdirectory("biggan-cli-train-").FullName;
        try
        {
            var (code, text) = Biggan("--data", "fashion-mnist", "--g-init", "uniform", "--out", Path.Combine(dir, "a"));
            Assert.AreEqual(1, code, text);
            StringAssert.Contains(text, "--g-init uniform: expected one of ortho|n02|xavier");
            (code, text) = Biggan("--data", "fashion-mnist", "--d-steps", "two", "--out", Path.Combine(dir, "b"));
            Assert.AreEqual(1, code, text);
            StringAssert.Contains(text, "--d-steps two");
            var config = Path.Combine(dir, "config.json");
            File.WriteAllText(config, """{"model": {"g-chh": 8}, "train": {"data": "fashion-mnist"}}""");
            (code, text) = Biggan("--config", config, "--out", Path.Combine(dir, "c"));
            Assert.AreEqual(1, code, text);
            StringAssert.Contains(text, "g-chh");
            Assert.IsFalse(Directory.Exists(Path.Combine(dir, "a")) || Directory.Exists(Path.Combine(dir, "b")) || Directory.Exists(Path.Combine(dir, "c")), "no run folder is left behind");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
