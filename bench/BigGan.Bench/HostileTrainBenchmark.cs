using System.Diagnostics;
using System.Globalization;

namespace BigGan.Bench;

/// <summary>
/// <c>hostile-train</c>: how fast and how small <c>biggan train</c> refuses what it must refuse (issue 11), each case
/// a fresh CLI process: sizes that cannot fit (<c>--ch 2000</c>, <c>--batch-size 30000</c>), a second trainer of a
/// folder being trained, and how long a SIGTERM takes to stop a run with a checkpoint. One JSON line per case with
/// the wall time, the exit code and the child's peak resident memory (VmHWM, polled every 5 ms while it runs).
/// Options: --biggan path/to/biggan.dll (default: the Release build of src/BigGan.Cli found above this program).
/// </summary>
public sealed class HostileTrainBenchmark : IBenchmark
{
    public string Name => "hostile-train";

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        var biggan = o.TryGetValue("biggan", out var b) ? b : FindCli();
        var dir = Directory.CreateTempSubdirectory("biggan-hostile-").FullName;
        try
        {
            var images = WriteIdx(dir, 32);
            Measure(biggan, "refuse --ch 2000", ["train", "--data", images, "--out", Path.Combine(dir, "wide"), "--ch", "2000"]);
            Measure(biggan, "refuse --batch-size 30000", ["train", "--data", images, "--out", Path.Combine(dir, "batch"), "--batch-size", "30000"]);

            var run = Path.Combine(dir, "run");
            string[] tiny = ["train", "--data", images, "--out", run, "--ch", "4", "--dim-z", "8", "--batch-size", "4", "--iterations", "1000000",
                             "--save-every", "1000000", "--sv-log-every", "0", "--threads", "1"];
            using var holder = Start(biggan, tiny);
            var started = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(run, "train_log.jsonl")) && started.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
            Measure(biggan, "refuse a second trainer of the folder", ["train", "--resume", run]);

            var clock = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", holder.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            holder.WaitForExit();
            Report.Figure("SIGTERM to exit with a checkpoint", clock.Elapsed.TotalSeconds, "s", new Dictionary<string, object>
            {
                ["exit_code"] = holder.ExitCode, ["checkpoint_written"] = Directory.Exists(Path.Combine(run, "checkpoints")),
            });
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static void Measure(string biggan, string name, string[] args)
    {
        var clock = Stopwatch.StartNew();
        using var p = Start(biggan, args);
        double peakMb = 0;
        while (!p.HasExited)
        {
            peakMb = Math.Max(peakMb, PeakRssMb(p.Id));
            Thread.Sleep(5);
        }
        p.WaitForExit();
        Report.Figure(name, clock.Elapsed.TotalSeconds, "s", new Dictionary<string, object>
        {
            ["exit_code"] = p.ExitCode, ["peak_rss_mb_seen"] = Math.Round(peakMb, 1),
        });
    }

    private static Process Start(string biggan, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(biggan);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static double PeakRssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return 0;
    }

    private static string FindCli()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var bin = Path.Combine(d.FullName, "src", "BigGan.Cli", "bin", "Release");
            if (!Directory.Exists(bin)) continue;
            var dll = Directory.EnumerateFiles(bin, "biggan.dll", SearchOption.AllDirectories).FirstOrDefault();
            if (dll is not null) return dll;
        }
        throw new FileNotFoundException("biggan.dll not found: build src/BigGan.Cli in Release, or pass --biggan path/to/biggan.dll");
    }

    // 32 random 28×28 images in 4 classes as an idx pair (the labels file next to it).
    private static string WriteIdx(string dir, int count)
    {
        var rng = new Random(0);
        var images = new byte[16 + count * 28 * 28];
        rng.NextBytes(images);
        WriteHeader(images, 0x803, count, 28, 28);
        var labels = new byte[8 + count];
        WriteHeader(labels, 0x801, count);
        for (int i = 0; i < count; i++) labels[8 + i] = (byte)(i % 4);
        var path = Path.Combine(dir, "train-images-idx3-ubyte");
        File.WriteAllBytes(path, images);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), labels);
        return path;
    }

    private static void WriteHeader(byte[] into, params int[] values)
    {
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(into.AsSpan(4 * i), values[i]);
    }
}
